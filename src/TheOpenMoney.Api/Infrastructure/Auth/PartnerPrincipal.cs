using System.Security.Claims;

namespace TheOpenMoney.Api.Infrastructure.Auth;

/// <summary>The claims the Bearer handler puts on an authenticated request, and typed access to them.</summary>
public static class PartnerPrincipal
{
    /// <summary>The authentication scheme of partner keys (<c>Authorization: Bearer osk_…</c>).</summary>
    public const string Scheme = "Bearer";

    public const string PartnerIdClaim = "partner_id";
    public const string KeyIdClaim = "api_key_id";
    public const string KeyPrefixClaim = "api_key_prefix";

    public static ClaimsPrincipal Create(long partnerId, long keyId, string prefix, string scheme) =>
        new(new ClaimsIdentity(
            [
                new Claim(PartnerIdClaim, partnerId.ToString(CultureInfo.InvariantCulture)),
                new Claim(KeyIdClaim, keyId.ToString(CultureInfo.InvariantCulture)),
                new Claim(KeyPrefixClaim, prefix),
            ],
            scheme));

    /// <summary>The authenticated partner's id; throws when the endpoint forgot to require a key.</summary>
    public static long GetPartnerId(this ClaimsPrincipal user) =>
        user.TryGetPartnerId() ?? throw new InvalidOperationException("request is not authenticated");

    public static long? TryGetPartnerId(this ClaimsPrincipal user) =>
        long.TryParse(user?.FindFirst(PartnerIdClaim)?.Value, CultureInfo.InvariantCulture, out var id) ? id : null;

    public static string? GetKeyId(this ClaimsPrincipal user) => user?.FindFirst(KeyIdClaim)?.Value;
}

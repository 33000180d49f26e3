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
    public const string LivemodeClaim = "livemode";

    public static ClaimsPrincipal Create(long partnerId, long keyId, string prefix, bool livemode, string scheme) =>
        new(new ClaimsIdentity(
            [
                new Claim(PartnerIdClaim, partnerId.ToString(CultureInfo.InvariantCulture)),
                new Claim(KeyIdClaim, keyId.ToString(CultureInfo.InvariantCulture)),
                new Claim(KeyPrefixClaim, prefix),
                new Claim(LivemodeClaim, livemode ? "true" : "false"),
            ],
            scheme));

    /// <summary>
    /// False for a test key (<c>osk_test_</c>): its partner id is the test twin's, so every partner-scoped read
    /// and write already stays in test data; this says only which outside world (real or simulated) the
    /// request may touch. Throws when the endpoint forgot to require a key.
    /// </summary>
    public static bool IsLivemode(this ClaimsPrincipal user) =>
        user?.FindFirst(LivemodeClaim)?.Value switch
        {
            "true" => true,
            "false" => false,
            _ => throw new InvalidOperationException("request is not authenticated"),
        };

    /// <summary>The authenticated partner's id; throws when the endpoint forgot to require a key.</summary>
    public static long GetPartnerId(this ClaimsPrincipal user) =>
        user.TryGetPartnerId() ?? throw new InvalidOperationException("request is not authenticated");

    public static long? TryGetPartnerId(this ClaimsPrincipal user) =>
        long.TryParse(user?.FindFirst(PartnerIdClaim)?.Value, CultureInfo.InvariantCulture, out var id) ? id : null;

    public static string? GetKeyId(this ClaimsPrincipal user) => user?.FindFirst(KeyIdClaim)?.Value;
}

using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Auth;

namespace TheOpenMoney.Api.Partners;

/// <summary>Who the presented key belongs to: a safe way to check a key works.</summary>
[ApiController]
[Route("api/v1/partner")]
[Tags("Partner")]
[Produces("application/json")]
public sealed class PartnerController(AppDbContext db) : ControllerBase
{
    /// <summary>The partner and key behind this request.</summary>
    /// <remarks>Never returns the key itself (it is not stored); only its display prefix.</remarks>
    [HttpGet(Name = "getPartner")]
    public async Task<ActionResult<ApiResponse<PartnerResponse>>> Get(CancellationToken cancellationToken)
    {
        var keyId = long.Parse(User.GetKeyId()!, System.Globalization.CultureInfo.InvariantCulture);
        var row = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Id == keyId)
            .Select(k => new { Key = k, k.Partner })
            .SingleOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound("partner");
        var partner = row.Partner!;
        return Ok(ApiResponse.Of(new PartnerResponse(
            partner.Id,
            partner.Livemode ? "live" : "test",
            partner.TelegramUserId,
            partner.Username,
            partner.CreatedAt,
            new PartnerKeyResponse(row.Key.Prefix + "…", row.Key.CreatedAt, row.Key.LastUsedAt))));
    }
}

/// <param name="Id">Partner id (a test key's is its test-mode twin's: test data is kept under an id of its own).</param>
/// <param name="Mode"><c>live</c> for an <c>osk_</c> key, <c>test</c> for an <c>osk_test_</c> key (simulated money; the sandbox routes).</param>
/// <param name="TelegramUserId">The Telegram account the key was issued to.</param>
/// <param name="Username">Telegram username when known.</param>
/// <param name="CreatedAt">When the partner was created.</param>
/// <param name="ApiKey">The key used for this request.</param>
public sealed record PartnerResponse(long Id, [property: TextValues("live", "test")] string Mode, long TelegramUserId, string? Username, DateTimeOffset CreatedAt, PartnerKeyResponse ApiKey);

/// <param name="Prefix">Display prefix, e.g. <c>osk_AbC1x2…</c>.</param>
/// <param name="CreatedAt">When the key was issued.</param>
/// <param name="LastUsedAt">Last use, updated at most once a minute.</param>
public sealed record PartnerKeyResponse(string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

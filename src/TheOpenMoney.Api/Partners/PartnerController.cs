using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Auth;

namespace TheOpenMoney.Api.Partners;

/// <summary>Who the presented key belongs to: a safe way to check a key works.</summary>
[ApiController]
[Route("api/v1/partner")]
[Tags("Partner")]
[Produces("application/json")]
public sealed class PartnerController([FromKeyedServices(DataSources.Reads)] NpgsqlDataSource reads) : ControllerBase
{
    /// <summary>The partner and key behind this request.</summary>
    /// <remarks>Never returns the key itself (it is not stored); only its display prefix.</remarks>
    [HttpGet(Name = "getPartner")]
    public async Task<ActionResult<ApiResponse<PartnerResponse>>> Get(CancellationToken cancellationToken)
    {
        // One statement on the multiplexed read connections: the way partners check a key, so it is kept cheap
        // (through EF and the tracking context it served a quarter of what an order read does).
        await using var command = reads.CreateCommand(
            """
            SELECT p.id, p.livemode, p.telegram_user_id, p.username, p.created_at, k.prefix, k.created_at, k.last_used_at
              FROM api_keys k JOIN partners p ON p.id = k.partner_id
             WHERE k.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = long.Parse(User.GetKeyId()!, System.Globalization.CultureInfo.InvariantCulture) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw ApiException.NotFound("partner");
        }

        return Ok(ApiResponse.Of(new PartnerResponse(
            reader.GetInt64(0),
            reader.GetBoolean(1) ? "live" : "test",
            reader.GetInt64(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetFieldValue<DateTimeOffset>(4),
            new PartnerKeyResponse(
                reader.GetString(5) + "…",
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7)))));
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

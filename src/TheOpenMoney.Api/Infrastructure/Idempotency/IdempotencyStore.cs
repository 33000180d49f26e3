using System.Security.Cryptography;

namespace TheOpenMoney.Api.Infrastructure.Idempotency;

/// <summary>
/// The <c>idempotency_records</c> table, Stripe-style. A key is claimed by inserting its row first
/// thing in the transaction that makes the change: the primary key (partner_id, idempotency_key)
/// makes a concurrent duplicate wait for that transaction, then replay what it stored (or go ahead if
/// it rolled back). Only 2xx bodies are stored, byte for byte, so a replay is identical.
/// </summary>
public sealed class IdempotencyStore(
    AppDbContext db,
    [FromKeyedServices(DataSources.Reads)] NpgsqlDataSource reads,
    TimeProvider time,
    IOptions<IdempotencyOptions> options,
    IStoredResponseProtector? protector = null)
{
    private const string StoredSql = "SELECT request_hash, response_body, response_protected FROM idempotency_records WHERE partner_id = $1 AND idempotency_key = $2";

    /// <summary>The stored answer of a finished request with this key (no transaction: most keys are new); 422 when the key was used for another request.</summary>
    public async Task<IdempotentResponse?> FindReplayAsync(IdempotentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var command = reads.CreateCommand(StoredSql);
        command.Parameters.Add(new NpgsqlParameter { Value = request.PartnerId });
        command.Parameters.Add(new NpgsqlParameter { Value = request.Key });
        return await ReplayStoredAsync(command, request, cancellationToken);
    }

    /// <summary>
    /// Claims the key in the open transaction. Null when claimed; the stored answer when another
    /// request with the key committed first (waited for, up to <c>Idempotency:WaitForConcurrent</c>,
    /// then 409 <c>IDEMPOTENCY_IN_PROGRESS</c>).
    /// </summary>
    public async Task<IdempotentResponse?> ClaimAsync(IdempotentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        var waitMs = (long)options.Value.WaitForConcurrent.TotalMilliseconds;
        // One round trip: bounded wait on a concurrent claim of the same key, the claim, no bound after.
        await using var claim = db.Batch(
            ($"SET LOCAL lock_timeout = {waitMs}", []),
            ("""
             INSERT INTO idempotency_records
                 (partner_id, idempotency_key, request_method, request_path, request_hash, response_status, response_body, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, 200, '\x'::bytea, $6, $7)
             ON CONFLICT (partner_id, idempotency_key) DO NOTHING
             """,
             [request.PartnerId, request.Key, request.Method, request.Path, request.Hash, now, now + options.Value.Retention]),
            ("SET LOCAL lock_timeout = 0", []));
        try
        {
            await claim.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            throw new ApiException(
                StatusCodes.Status409Conflict,
                ErrorCodes.IdempotencyInProgress,
                "a request with this Idempotency-Key is still being processed; retry shortly")
            {
                RetryAfterSeconds = 1,
            };
        }

        if (claim.BatchCommands[1].RecordsAffected == 1)
        {
            return null;
        }

        // The key was committed by another request (we waited for it if it was in flight).
        await using var command = db.Command(StoredSql, request.PartnerId, request.Key);
        return await ReplayStoredAsync(command, request, cancellationToken)
            ?? throw new InvalidOperationException("idempotency record vanished while claimed");
    }

    /// <summary>Stores the answer under the claimed key (encrypted when it shows a secret), in the transaction that made the change.</summary>
    public async Task StoreAsync(IdempotentRequest request, byte[] body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stored = request.ProtectResponse ? Protector().Protect(body, request.PartnerId) : body;
        await db.ExecuteAsync(
            "UPDATE idempotency_records SET response_status = 200, response_body = $3, response_protected = $4 WHERE partner_id = $1 AND idempotency_key = $2",
            cancellationToken,
            request.PartnerId,
            request.Key,
            stored,
            request.ProtectResponse);
    }

    private IStoredResponseProtector Protector() =>
        protector ?? throw new InvalidOperationException("an idempotent action stores a protected answer, but no IStoredResponseProtector is registered");

    /// <summary>The stored request's replay (or 422 when it was another request); null when nothing is stored under the key.</summary>
    private async Task<IdempotentResponse?> ReplayStoredAsync(NpgsqlCommand command, IdempotentRequest request, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(reader.GetFieldValue<byte[]>(0), request.Hash))
        {
            throw new ApiException(
                StatusCodes.Status422UnprocessableEntity,
                ErrorCodes.IdempotencyKeyReused,
                "this Idempotency-Key was already used with a different request (method, path or body)");
        }

        var body = reader.GetFieldValue<byte[]>(1);
        return new IdempotentResponse(reader.GetBoolean(2) ? Protector().Unprotect(body, request.PartnerId) : body, Replayed: true);
    }
}

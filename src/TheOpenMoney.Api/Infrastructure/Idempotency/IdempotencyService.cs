using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TheOpenMoney.Api.Infrastructure.Data;
using TheOpenMoney.Api.Infrastructure.Errors;
using TheOpenMoney.Api.Infrastructure.Json;

namespace TheOpenMoney.Api.Infrastructure.Idempotency;

/// <summary>Configuration section <c>Idempotency</c>.</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>How long a stored response is replayed (at least 24 hours).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a duplicate waits for the first request with its key before answering 409.</summary>
    public TimeSpan WaitForConcurrent { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often expired records are deleted.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>The <c>Idempotency-Key</c> of a request with the hash of what it asked for.</summary>
public sealed record IdempotentRequest(string Key, string Method, string Path, byte[] Hash)
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>Reads the header (null when absent) and hashes method, path and the exact body bytes.</summary>
    public static async Task<IdempotentRequest?> FromHttpAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Headers.TryGetValue(HeaderName, out var values))
        {
            return null;
        }

        var key = values.Count == 1 ? values[0] ?? "" : "";
        if (key.Length is < 1 or > 255 || !key.All(c => c is >= '!' and <= '~'))
        {
            throw ApiException.Validation("Idempotency-Key must be 1 to 255 printable ASCII characters without spaces (a UUID is recommended)");
        }

        byte[] body = [];
        if (request.Body.CanSeek)
        {
            request.Body.Position = 0;
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
            body = buffer.ToArray();
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.Path.Value}\n"));
        hash.AppendData(body);
        return new IdempotentRequest(key, request.Method, request.Path.Value ?? "", hash.GetHashAndReset());
    }
}

/// <summary>A JSON response body, and whether it was replayed from an earlier request.</summary>
public sealed record IdempotentResult(byte[] Body, bool Replayed);

/// <summary>
/// Stripe-style idempotency. The key is claimed by inserting its row first thing in the
/// creating transaction: the primary key (partner_id, idempotency_key) makes a concurrent
/// duplicate wait for that transaction, then replay what it stored (or proceed if it rolled
/// back). Only 2xx bodies are stored, byte for byte, so the replay is identical.
/// </summary>
public sealed class IdempotencyService(
    AppDbContext db,
    UnitOfWork unitOfWork,
    [FromKeyedServices(DataSources.Reads)] NpgsqlDataSource reads,
    TimeProvider time,
    IOptions<IdempotencyOptions> options)
{
    private const string StoredSql = "SELECT request_hash, response_body FROM idempotency_records WHERE partner_id = $1 AND idempotency_key = $2";

    /// <summary>Replays a finished request without starting any work; throws when the key was used for another request.</summary>
    public async Task<IdempotentResult?> TryReplayAsync(long partnerId, IdempotentRequest? request, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return null;
        }

        // Outside any transaction, over the multiplexed read connections: most keys are new.
        await using var command = reads.CreateCommand(StoredSql);
        command.Parameters.Add(new NpgsqlParameter { Value = partnerId });
        command.Parameters.Add(new NpgsqlParameter { Value = request.Key });
        return await ReplayStoredAsync(command, request, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="action"/> in one transaction with the key claimed, stores its
    /// serialized success envelope with the key, and commits. A failure (exception) rolls
    /// everything back, the key included, so the request may be retried with the same key.
    /// </summary>
    public async Task<IdempotentResult> ExecuteAsync<T>(
        long partnerId,
        IdempotentRequest? request,
        Func<CancellationToken, Task<T>> action,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        return await unitOfWork.RunAsync(
            async token =>
            {
                if (request is not null && await ClaimAsync(partnerId, request, token) is { } replay)
                {
                    return replay;
                }

                var data = await action(token);
                var body = JsonSerializer.SerializeToUtf8Bytes(ApiResponse.Of(data), JsonDefaults.Shared);
                if (request is not null)
                {
                    await db.ExecuteAsync(
                        "UPDATE idempotency_records SET response_status = 200, response_body = $3 WHERE partner_id = $1 AND idempotency_key = $2",
                        token,
                        partnerId,
                        request.Key,
                        body);
                }

                return new IdempotentResult(body, Replayed: false);
            },
            cancellationToken);
    }

    private async Task<IdempotentResult?> ClaimAsync(long partnerId, IdempotentRequest request, CancellationToken cancellationToken)
    {
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
             [partnerId, request.Key, request.Method, request.Path, request.Hash, now, now + options.Value.Retention]),
            ("SET LOCAL lock_timeout = 0", []));
        try
        {
            await claim.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            throw new ApiException(
                StatusCodes.Status409Conflict,
                DomainErrors.IdempotencyInProgress,
                "a request with this Idempotency-Key is still being processed; retry shortly")
            {
                RetryAfterSeconds = 1,
            };
        }

        var inserted = claim.BatchCommands[1].RecordsAffected;
        if (inserted == 1)
        {
            return null;
        }

        // The key was committed by another request (we waited for it if it was in flight).
        await using var command = db.Command(StoredSql, partnerId, request.Key);
        return await ReplayStoredAsync(command, request, cancellationToken)
            ?? throw new InvalidOperationException("idempotency record vanished while claimed");
    }

    /// <summary>The stored request's replay (or 422 when it was another request); null when nothing is stored under the key.</summary>
    private static async Task<IdempotentResult?> ReplayStoredAsync(NpgsqlCommand command, IdempotentRequest request, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? Replay(request, reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1))
            : null;
    }

    private static IdempotentResult Replay(IdempotentRequest request, byte[] storedHash, byte[] body)
    {
        if (!CryptographicOperations.FixedTimeEquals(storedHash, request.Hash))
        {
            throw new ApiException(
                StatusCodes.Status422UnprocessableEntity,
                DomainErrors.IdempotencyKeyReused,
                "this Idempotency-Key was already used with a different request (method, path or body)");
        }

        return new IdempotentResult(body, Replayed: true);
    }
}

using System.Security.Cryptography;

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// Where processor rows go that must not block the poller: rows that cannot be read
/// (<see cref="RejectedIncome"/>) and readable deposits the database refused
/// <see cref="PaymentProcessorOptions.MaxApplyFailures"/> times in a row. A held row keeps its raw
/// bytes, the reason and when it was seen; the cursor moves past it; operators list and retry
/// held rows with the CLI (<c>deposits quarantined</c>, <c>deposits retry --id N</c>). Rows are
/// deduplicated by a fingerprint of their bytes, so the history re-reads only count them again.
/// </summary>
public sealed partial class DepositQuarantine(
    NpgsqlDataSource dataSource,
    TimeProvider time,
    PaymentMetrics metrics,
    IOptions<PaymentProcessorOptions> options,
    ILogger<DepositQuarantine> logger)
{
    private const string HoldSql =
        """
        INSERT INTO quarantined_deposits (fingerprint, tx_hash, processor_user_id, received_via, raw, reason, amount_nanoton, first_seen_at, last_seen_at, currency)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
        ON CONFLICT (fingerprint) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, seen_count = quarantined_deposits.seen_count + 1
        RETURNING id, xmax = 0
        """;

    /// <summary>Holds rows that could not be read (one round trip for all of them).</summary>
    public async Task HoldRejectedAsync(IReadOnlyList<RejectedIncome> rows, string userId, string via, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        await using var batch = dataSource.CreateBatch();
        var now = time.GetUtcNow();
        foreach (var row in rows)
        {
            batch.BatchCommands.Add(HoldCommand(row.Raw, row.TxHash, userId, via, row.Reason, row.AmountNanoton, row.Currency, now));
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        foreach (var row in rows)
        {
            await reader.ReadAsync(cancellationToken);
            ReportHeld(reader.GetInt64(0), reader.GetBoolean(1), row.TxHash, row.AmountNanoton, row.Reason);
            await reader.NextResultAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Counts a failure to store or apply a readable deposit (the database refused it) and holds the
    /// deposit once it has failed <see cref="PaymentProcessorOptions.MaxApplyFailures"/> times in a
    /// row. True when it is now held (the poller may move past it). A database that is merely
    /// unavailable is not the deposit's fault: those failures are not counted.
    /// </summary>
    public async Task<bool> CountFailureAsync(IncomingDeposit deposit, string via, Exception failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deposit);
        ArgumentNullException.ThrowIfNull(failure);
        if (DatabaseFailures.IsUnavailable(failure))
        {
            return false;
        }

        var kind = DatabaseFailures.Kind(failure);
        var now = time.GetUtcNow();
        var limit = options.Value.MaxApplyFailures;
        await using var count = dataSource.CreateCommand(
            """
            INSERT INTO deposit_failures (tx_hash, failures, last_error, first_failed_at, last_failed_at) VALUES ($1, 1, $2, $3, $3)
            ON CONFLICT (tx_hash) DO UPDATE SET failures = deposit_failures.failures + 1, last_error = EXCLUDED.last_error, last_failed_at = EXCLUDED.last_failed_at
            RETURNING failures
            """);
        count.Parameters.Add(new NpgsqlParameter { Value = deposit.TxHash });
        count.Parameters.Add(new NpgsqlParameter { Value = kind });
        count.Parameters.Add(new NpgsqlParameter { Value = now });
        var failures = (int)(await count.ExecuteScalarAsync(cancellationToken))!;
        LogApplyFailed(logger, deposit.TxHash, failures, limit, kind, failure);
        if (failures < limit)
        {
            return false;
        }

        // The count stays (apply_deposit clears it when the deposit finally goes through): a held deposit read
        // again fails once more and is held again at once (the same entry), rather than stalling the cursor anew.
        var reason = $"the database refused it {limit} times in a row ({kind})";
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(HoldCommand(Serialize(deposit), deposit.TxHash, deposit.ProcessorUserId, via, reason, deposit.AmountNanoton, deposit.Currency, now));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        ReportHeld(reader.GetInt64(0), reader.GetBoolean(1), deposit.TxHash, deposit.AmountNanoton, reason);
        return true;
    }

    /// <summary>The held entries, oldest first (what the CLI lists).</summary>
    public async Task<IReadOnlyList<QuarantinedDeposit>> ListHeldAsync(int limit, CancellationToken cancellationToken)
    {
        var held = new List<QuarantinedDeposit>();
        await using var command = dataSource.CreateCommand(
            """
            SELECT id, tx_hash, processor_user_id, received_via, raw, reason, amount_nanoton, first_seen_at, last_seen_at, seen_count
              FROM quarantined_deposits WHERE released_at IS NULL ORDER BY id LIMIT $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held.Add(new QuarantinedDeposit
            {
                Id = reader.GetInt64(0),
                TxHash = reader.IsDBNull(1) ? null : reader.GetString(1),
                ProcessorUserId = reader.GetString(2),
                ReceivedVia = reader.GetString(3),
                Raw = reader.GetFieldValue<byte[]>(4),
                Reason = reader.GetString(5),
                AmountNanoton = reader.IsDBNull(6) ? null : reader.GetInt64(6),
                FirstSeenAt = reader.GetFieldValue<DateTimeOffset>(7),
                LastSeenAt = reader.GetFieldValue<DateTimeOffset>(8),
                SeenCount = reader.GetInt32(9),
            });
        }

        return held;
    }

    /// <summary>One held entry, or null (unknown id, or already released).</summary>
    public async Task<QuarantinedDeposit?> FindHeldAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT processor_user_id, received_via, raw, reason, currency FROM quarantined_deposits WHERE id = $1 AND released_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new QuarantinedDeposit
            {
                Id = id,
                ProcessorUserId = reader.GetString(0),
                ReceivedVia = reader.GetString(1),
                Raw = reader.GetFieldValue<byte[]>(2),
                Reason = reader.GetString(3),
                Currency = reader.IsDBNull(4) ? null : reader.GetString(4),
            }
            : null;
    }

    /// <summary>Marks an entry released (an operator retries it); <paramref name="force"/> rewrites the note of a released one.</summary>
    public async Task ReleaseAsync(long id, string note, CancellationToken cancellationToken, bool force = false)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE quarantined_deposits SET released_at = coalesce(released_at, $2), released_note = $3 WHERE id = $1 AND (released_at IS NULL OR $4)");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = note });
        command.Parameters.Add(new NpgsqlParameter { Value = force });
        await command.ExecuteNonQueryAsync(cancellationToken);
        LogReleased(logger, id, note);
    }

    /// <summary>Holds a released entry again (its retry failed).</summary>
    public async Task HoldAgainAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE quarantined_deposits SET released_at = NULL, released_note = NULL WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The raw form of a readable deposit that is held: its fields as JSON, the comment's exact text included.</summary>
    internal static byte[] Serialize(IncomingDeposit deposit) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
    {
        ["tx_hash"] = deposit.TxHash,
        ["deposit_address"] = deposit.DepositAddress,
        ["source_address"] = deposit.SourceAddress,
        ["amount"] = deposit.AmountNanoton.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["comment"] = deposit.Comment,
        ["time"] = deposit.ChainTime.ToUnixTimeSeconds(),
    });

    private static NpgsqlBatchCommand HoldCommand(byte[] raw, string? txHash, string userId, string via, string reason, long? amount, string? currency, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(HoldSql);
        // The same bytes in two currencies' histories are two rows (TON's fingerprint is what it always was).
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = currency is null or PaymentCurrencies.Ton ? SHA256.HashData(raw) : SHA256.HashData([.. Encoding.UTF8.GetBytes(currency + "\0"), .. raw]),
        });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)txHash ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = Truncate(userId, 64) });
        command.Parameters.Add(new NpgsqlParameter { Value = via });
        command.Parameters.Add(new NpgsqlParameter { Value = raw });
        command.Parameters.Add(new NpgsqlParameter { Value = reason });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)amount ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)currency ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        return command;
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];

    private void ReportHeld(long id, bool isNew, string? txHash, long? amount, string reason)
    {
        if (!isNew)
        {
            return;
        }

        metrics.DepositQuarantined(amount);
        // The reason is ours; nothing the row held is logged (its comment is the payer's).
        LogHeld(logger, id, txHash ?? "(unreadable)", amount, reason);
    }

    /// <summary>
    /// The start of a raw row for a terminal: printable ASCII as is, everything else (control
    /// characters, escape sequences, non-ASCII, invalid UTF-8) as <c>\xNN</c> byte escapes.
    /// </summary>
    public static string Preview(byte[] raw, int bytes = 160)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var text = new StringBuilder();
        foreach (var b in raw.AsSpan(0, Math.Min(bytes, raw.Length)))
        {
            if (b is >= 0x20 and < 0x7F)
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:x2}");
            }
        }

        return raw.Length > bytes ? text.Append('…').ToString() : text.ToString();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deposit row quarantined (id {QuarantineId}, tx_hash {TxHash}, {Nanoton} nanoTON): {Reason}; the poller moves past it, an operator can retry it")]
    private static partial void LogHeld(ILogger logger, long quarantineId, string txHash, long? nanoton, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Quarantine entry {QuarantineId} released by an operator: {Note}")]
    private static partial void LogReleased(ILogger logger, long quarantineId, string note);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying deposit {TxHash} failed ({Failures}/{Limit} in a row, {Kind})")]
    private static partial void LogApplyFailed(ILogger logger, string txHash, int failures, int limit, string kind, Exception exception);
}

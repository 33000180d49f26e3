using Npgsql;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Payments;

/// <summary>Where one deposit's TON went.</summary>
public sealed record DepositOutcome(string Kind, long? OrderId, long? PartnerId, long OrderNanoton, long CreditedNanoton, long UnmatchedNanoton);

/// <summary>What became of one deposit handed to <see cref="DepositProcessor"/>.</summary>
/// <param name="TxHash">The deposit.</param>
/// <param name="Stored">False when its tx_hash was already known.</param>
/// <param name="Outcome">How it was applied now; null when it had been applied before.</param>
public sealed record DepositResult(string TxHash, bool Stored, DepositOutcome? Outcome);

/// <summary>
/// Stores deposits (once per <c>tx_hash</c>) and applies the matching rules of API.md through the
/// database function <c>apply_deposit</c> (migration 0006), so that a deposit costs one statement:
/// <list type="bullet">
/// <item>orders address, comment = memo of a <c>pending_payment</c> order, dated before its
/// <c>expires_at</c>: added to what the order has received; reaching the price pays it and any
/// excess is credited (<c>overpayment</c>); short of it, it waits (<c>partial_payment</c>);</item>
/// <item>memo of an order that is expired, cancelled, already paid, or dated after expiry: credited
/// to the order's partner (<c>late_payment</c>) and recorded on the order;</item>
/// <item>a partner's top-up address: credited (<c>topup</c>);</item>
/// <item>anything else: kept as <c>unmatched</c> for operators, never dropped.</item>
/// </list>
/// The deposit row is locked while applied and marked applied with the split of its amount, so
/// the poller and the webhook can both see it and it is applied exactly once. Several deposits go
/// to PostgreSQL in one round trip (a pipelined batch), each deposit still its own transaction: an
/// error barrier (a protocol Sync) closes each one.
/// </summary>
public sealed partial class DepositProcessor(NpgsqlDataSource dataSource, TimeProvider time, PaymentMetrics metrics, ILogger<DepositProcessor> logger)
{
    private const string RecordSql =
        """
        INSERT INTO deposits (tx_hash, processor_user_id, deposit_address, source_address, amount_nanoton, comment, chain_time, received_via, received_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (tx_hash) DO NOTHING
        RETURNING id
        """;

    private const string ApplySql = "SELECT * FROM apply_deposit($1, $2, $3, $4)";

    /// <summary>
    /// Stores and applies each deposit, all in one round trip; each deposit's store and apply form
    /// one transaction, committed whatever happens to the others. Deposits of one order must be
    /// passed in their chain order (they are applied in the order given).
    /// Throws the first database error after the whole batch has run.
    /// <para>
    /// For the poller only: these commits do not wait for the WAL flush (<c>synchronous_commit =
    /// off</c>, per transaction). The poller moves its cursor past the page with an ordinary commit
    /// afterwards, and that flush makes every earlier commit durable (the WAL is sequential). A
    /// database crash before it can lose only deposits the poller has not moved past, which it
    /// re-reads and applies again (tx_hash dedupes): nothing is lost, and nothing the processor no
    /// longer shows depends on it.
    /// </para>
    /// </summary>
    public Task<IReadOnlyList<DepositResult>> RecordAndApplyAsync(IReadOnlyList<IncomingDeposit> deposits, string via, CancellationToken cancellationToken) =>
        RunBatchAsync(
            deposits,
            (batch, deposit, now) =>
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off") { AppendErrorBarrier = false });
                batch.BatchCommands.Add(RecordCommand(deposit, via, now, barrier: false));
                batch.BatchCommands.Add(ApplyCommand(deposit.TxHash, deposit.DepositAddress, deposit.Comment, now));
            },
            async (reader, deposit) =>
            {
                // The SETs have no result set: the reader skips them.
                var stored = await reader.ReadAsync(cancellationToken);
                await reader.NextResultAsync(cancellationToken);
                return new DepositResult(deposit.TxHash, stored, await ReadOutcomeAsync(reader, deposit.TxHash, cancellationToken));
            },
            cancellationToken);

    /// <summary>
    /// The webhook's path: stores the deposit (committed on its own, so the answer can be 200 even if
    /// applying fails), then applies it, in one round trip. An error while applying is returned, not
    /// thrown: the poller applies the stored deposit later.
    /// </summary>
    public async Task<(DepositResult Result, Exception? ApplyError)> StoreThenApplyAsync(IncomingDeposit deposit, string via, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deposit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var now = time.GetUtcNow();
        batch.BatchCommands.Add(RecordCommand(deposit, via, now, barrier: true));
        batch.BatchCommands.Add(ApplyCommand(deposit.TxHash, deposit.DepositAddress, deposit.Comment, now));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var stored = await reader.ReadAsync(cancellationToken);
        try
        {
            await reader.NextResultAsync(cancellationToken);
            var outcome = await ReadOutcomeAsync(reader, deposit.TxHash, cancellationToken);
            return (new DepositResult(deposit.TxHash, stored, outcome), null);
        }
        catch (PostgresException ex)
        {
            return (new DepositResult(deposit.TxHash, stored, null), ex);
        }
    }

    /// <summary>Applies deposits that are stored but not applied yet (one transaction each, one round trip); the rest are skipped.</summary>
    public Task<IReadOnlyList<DepositResult>> ApplyStoredAsync(IReadOnlyList<(string TxHash, string DepositAddress, string? Comment)> deposits, CancellationToken cancellationToken) =>
        RunBatchAsync(
            deposits,
            (batch, deposit, now) => batch.BatchCommands.Add(ApplyCommand(deposit.TxHash, deposit.DepositAddress, deposit.Comment, now)),
            async (reader, deposit) => new DepositResult(deposit.TxHash, false, await ReadOutcomeAsync(reader, deposit.TxHash, cancellationToken)),
            cancellationToken);

    /// <summary>One batch (one round trip) on its own connection: the commands for each item, then each item's results in turn.</summary>
    private async Task<IReadOnlyList<DepositResult>> RunBatchAsync<T>(
        IReadOnlyList<T> items,
        Action<NpgsqlBatch, T, DateTimeOffset> addCommands,
        Func<NpgsqlDataReader, T, Task<DepositResult>> readResults,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return [];
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var now = time.GetUtcNow();
        foreach (var item in items)
        {
            addCommands(batch, item, now);
        }

        var results = new List<DepositResult>(items.Count);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        foreach (var item in items)
        {
            results.Add(await readResults(reader, item));
            await reader.NextResultAsync(cancellationToken);
        }

        return results;
    }

    private static NpgsqlBatchCommand RecordCommand(IncomingDeposit deposit, string via, DateTimeOffset now, bool barrier)
    {
        var command = new NpgsqlBatchCommand(RecordSql) { AppendErrorBarrier = barrier };
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deposit.TxHash });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deposit.ProcessorUserId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deposit.DepositAddress });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)deposit.SourceAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = deposit.AmountNanoton });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)deposit.Comment ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = deposit.ChainTime });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = via });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        return command;
    }

    /// <summary>apply_deposit with the address in canonical form and the comment read as a memo; closes the deposit's transaction.</summary>
    private static NpgsqlBatchCommand ApplyCommand(string txHash, string address, string? comment, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(ApplySql) { AppendErrorBarrier = true };
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = txHash, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = TonAddress.IsValid(address) ? TonAddress.ToNonBounceable(address) : address, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)PaymentMemo.Normalize(comment) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        return command;
    }

    private async Task<DepositOutcome?> ReadOutcomeAsync(NpgsqlDataReader reader, string txHash, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var outcome = new DepositOutcome(
            reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetInt64(2),
            reader.GetInt64(3),
            reader.GetInt64(4),
            reader.GetInt64(5));
        var amount = reader.GetInt64(6);
        var chainTime = reader.GetFieldValue<DateTimeOffset>(7);
        if (outcome.Kind == "unmatched")
        {
            LogUnmatched(logger, txHash, amount, reader.IsDBNull(8) ? "unknown" : reader.GetString(8));
        }

        metrics.DepositApplied(outcome.Kind, amount, time.GetUtcNow() - chainTime);
        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unmatched deposit {TxHash} of {Nanoton} nanoTON kept for operators: {Reason}")]
    private static partial void LogUnmatched(ILogger logger, string txHash, long nanoton, string reason);
}

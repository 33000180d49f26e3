using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Payments;

/// <summary>Where one deposit's TON went, and the order's status change it made (<see cref="OrderMachine"/>), if any.</summary>
public sealed record DepositOutcome(string Kind, long? OrderId, long? PartnerId, long OrderNanoton, long CreditedNanoton, long UnmatchedNanoton, OrderTransition? OrderMove);

/// <summary>What became of one deposit handed to <see cref="DepositProcessor"/>.</summary>
/// <param name="TxHash">The deposit.</param>
/// <param name="Stored">False when its tx_hash was already known.</param>
/// <param name="Outcome">How it was applied now; null when it had been applied before (or failed).</param>
/// <param name="Failure">Why the database refused it (nothing of it was written); null when it went through.</param>
public sealed record DepositResult(string TxHash, bool Stored, DepositOutcome? Outcome, Exception? Failure = null);

/// <summary>A deposit stored but not applied yet (stored by an earlier version's webhook, whose apply failed); <paramref name="Livemode"/> false for a simulated one.</summary>
public sealed record StoredDeposit(string TxHash, string DepositAddress, string? Comment, bool Livemode = true);

/// <summary>
/// Stores deposits (once per <c>tx_hash</c>) and applies the matching rules of API.md through the
/// database function <c>apply_deposit</c> (migrations 0006, 0007 and 0012; the order part is the orders'
/// own function <c>order_receive_payment</c>, see <see cref="OrderMachine"/>), so that a deposit costs one statement:
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
/// <para>
/// A deposit the database refuses fails alone: its transaction rolls back, the batch's connection is
/// discarded (the pool of this data source is cleared, so it is closed rather than reused), and the
/// deposits after it are sent again on a fresh connection. They may already have been committed by
/// the server behind the error; storing and applying are idempotent, and their outcome is read back.
/// Failures are returned in <see cref="DepositResult.Failure"/>, never thrown (cancellation aside).
/// </para>
/// </summary>
public sealed partial class DepositProcessor(
    [FromKeyedServices(DataSources.Deposits)] NpgsqlDataSource dataSource,
    TimeProvider time,
    PaymentMetrics metrics,
    OrderMetrics orderMetrics,
    ILogger<DepositProcessor> logger)
{
    /// <summary>A page of deposits is one batch: bounded, but not by the request-path command timeout.</summary>
    private const int BatchTimeoutSeconds = 60;

    private const string RecordSql =
        """
        INSERT INTO deposits (tx_hash, processor_user_id, deposit_address, source_address, amount_nanoton, comment, comment_original, chain_time, received_via, received_at, currency)
        VALUES ($1, coalesce((SELECT a.processor_user_id FROM deposit_addresses a WHERE a.address = $3), $2), $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (tx_hash) DO NOTHING
        RETURNING id
        """;

    private const string ApplySql = "SELECT * FROM apply_deposit($1, $2, $3, $4)";

    private const string OutcomeSql =
        """
        SELECT d.tx_hash, d.kind, d.order_id, d.partner_id, d.order_nanoton, d.credited_nanoton, d.unmatched_nanoton, d.amount_nanoton, d.chain_time,
               o.payment_tx_hash = d.tx_hash, d.livemode
          FROM deposits d LEFT JOIN orders o ON o.id = d.order_id
         WHERE d.tx_hash = ANY($1) AND d.applied_at = $2
        """;

    /// <summary>
    /// Stores and applies each deposit, all in one round trip; each deposit's store and apply form
    /// one transaction, committed whatever happens to the others. Deposits of one order must be
    /// passed in their chain order (they are applied in the order given).
    /// <para>
    /// These commits do not wait for the WAL flush (<c>synchronous_commit = off</c>, per transaction).
    /// The poller moves its cursor past a page with an ordinary commit afterwards, and that flush makes
    /// every earlier commit durable (the WAL is sequential), a webhook's included. A database crash
    /// before it can lose only deposits the poller has not moved past, which it re-reads and applies
    /// again (tx_hash dedupes): nothing is lost, and nothing the processor no longer shows depends on it.
    /// </para>
    /// </summary>
    public Task<IReadOnlyList<DepositResult>> RecordAndApplyAsync(IReadOnlyList<IncomingDeposit> deposits, string via, CancellationToken cancellationToken) =>
        RunBatchAsync(
            deposits,
            d => d.TxHash,
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
                return new DepositResult(deposit.TxHash, stored, await ReadOutcomeAsync(reader, deposit.TxHash, via != DepositIntake.SimulatedVia, cancellationToken));
            },
            cancellationToken);

    /// <summary>Applies deposits that are stored but not applied yet (one transaction each, one round trip); the rest are skipped.</summary>
    public Task<IReadOnlyList<DepositResult>> ApplyStoredAsync(IReadOnlyList<StoredDeposit> deposits, CancellationToken cancellationToken) =>
        RunBatchAsync(
            deposits,
            d => d.TxHash,
            (batch, deposit, now) => batch.BatchCommands.Add(ApplyCommand(deposit.TxHash, deposit.DepositAddress, deposit.Comment, now)),
            async (reader, deposit) => new DepositResult(deposit.TxHash, false, await ReadOutcomeAsync(reader, deposit.TxHash, deposit.Livemode, cancellationToken)),
            cancellationToken);

    /// <summary>What PostgreSQL text can hold of a comment (NUL as U+FFFD), and the exact bytes when that differs.</summary>
    internal static (string? Text, byte[]? Original) ForStorage(string? comment) =>
        comment is null || !comment.Contains('\0', StringComparison.Ordinal)
            ? (comment, null)
            : (comment.Replace('\0', '\uFFFD'), Encoding.UTF8.GetBytes(comment));

    /// <summary>
    /// Runs the items in as few batches (round trips) as failures allow, on connections of their own:
    /// the commands for each item, then each item's results in turn. When an item fails, it gets its
    /// failure, the connection is discarded, and the items after it go again in a new batch (those
    /// the server had already committed behind the failure are read back instead).
    /// </summary>
    private async Task<IReadOnlyList<DepositResult>> RunBatchAsync<T>(
        IReadOnlyList<T> items,
        Func<T, string> txHashOf,
        Action<NpgsqlBatch, T, DateTimeOffset> addCommands,
        Func<NpgsqlDataReader, T, Task<DepositResult>> readResults,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var results = new DepositResult[items.Count];
        var pending = Enumerable.Range(0, items.Count).ToList();
        while (pending.Count > 0)
        {
            var now = time.GetUtcNow();
            var position = 0;
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var batch = new NpgsqlBatch(connection) { Timeout = BatchTimeoutSeconds };
                foreach (var index in pending)
                {
                    addCommands(batch, items[index], now);
                }

                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                for (; position < pending.Count; position++)
                {
                    if (position > 0)
                    {
                        // Moving on reads this item's first answer: an error here is this item's.
                        await reader.NextResultAsync(cancellationToken);
                    }

                    results[pending[position]] = await readResults(reader, items[pending[position]]);
                }

                return results;
            }
            catch (Exception ex) when ((ex is NpgsqlException or InvalidOperationException or InvalidCastException) && !cancellationToken.IsCancellationRequested)
            {
                Discard(ex);
                var failed = pending[position];
                results[failed] = new DepositResult(txHashOf(items[failed]), false, null, ex);
                var rest = pending.GetRange(position + 1, pending.Count - position - 1);
                if (DatabaseFailures.IsUnavailable(ex) && ex is not PostgresException)
                {
                    // The connection itself failed: the rest would only fail the same way, one timeout each.
                    foreach (var index in rest)
                    {
                        results[index] = new DepositResult(txHashOf(items[index]), false, null, ex);
                    }

                    return results;
                }

                var recovered = await RecoverOutcomesAsync(rest.Select(i => txHashOf(items[i])).ToArray(), now, cancellationToken);
                pending = [];
                foreach (var index in rest)
                {
                    if (recovered.TryGetValue(txHashOf(items[index]), out var outcome))
                    {
                        results[index] = new DepositResult(txHashOf(items[index]), true, outcome);
                    }
                    else
                    {
                        pending.Add(index);
                    }
                }
            }
        }

        return results;
    }

    /// <summary>
    /// After a failed batch, the items behind the failure may have been committed by the server
    /// without their answers being read: their rows carry the failed batch's instant as
    /// <c>applied_at</c>. Those are read back (and counted in the metrics) instead of sent again.
    /// </summary>
    private async Task<Dictionary<string, DepositOutcome>> RecoverOutcomesAsync(string[] txHashes, DateTimeOffset batchNow, CancellationToken cancellationToken)
    {
        var recovered = new Dictionary<string, DepositOutcome>(StringComparer.Ordinal);
        if (txHashes.Length == 0)
        {
            return recovered;
        }

        await using (var command = dataSource.CreateCommand(OutcomeSql))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = txHashes });
            command.Parameters.Add(new NpgsqlParameter { Value = batchNow });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                // The deposit that paid an order is the one its payment_tx_hash names: that is the move it made.
                var paidTheOrder = !reader.IsDBNull(9) && reader.GetBoolean(9);
                var outcome = new DepositOutcome(
                    reader.GetString(1), reader.Get<long?>(2), reader.Get<long?>(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                    paidTheOrder ? OrderMachine.Pay : null);
                recovered[reader.GetString(0)] = outcome;
                Count(outcome, reader.GetInt64(7), reader.GetFieldValue<DateTimeOffset>(8), reader.GetBoolean(10));
            }
        }

        LogRecovered(logger, recovered.Count, txHashes.Length);
        return recovered;
    }

    /// <summary>A connection that saw an error is not reused: the pool of the deposit connections is cleared.</summary>
    private void Discard(Exception failure)
    {
        dataSource.Clear();
        LogDiscarded(logger, DatabaseFailures.Kind(failure));
    }

    private static NpgsqlBatchCommand RecordCommand(IncomingDeposit deposit, string via, DateTimeOffset now, bool barrier)
    {
        var (comment, original) = ForStorage(deposit.Comment);
        var command = new NpgsqlBatchCommand(RecordSql) { AppendErrorBarrier = barrier };
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deposit.TxHash });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deposit.ProcessorUserId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CanonicalAddress(deposit.DepositAddress) });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)deposit.SourceAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = deposit.AmountNanoton });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)comment ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)original ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = deposit.ChainTime });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = via });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deposit.Currency });
        return command;
    }

    /// <summary>apply_deposit with the address in canonical form and the comment read as a memo; closes the deposit's transaction.</summary>
    private static NpgsqlBatchCommand ApplyCommand(string txHash, string address, string? comment, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(ApplySql) { AppendErrorBarrier = true };
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = txHash, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CanonicalAddress(address), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)PaymentMemo.Normalize(comment) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        return command;
    }

    private static string CanonicalAddress(string address) => TonAddress.IsValid(address) ? TonAddress.ToNonBounceable(address) : address;

    private async Task<DepositOutcome?> ReadOutcomeAsync(NpgsqlDataReader reader, string txHash, bool livemode, CancellationToken cancellationToken)
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
            reader.GetInt64(5),
            reader.IsDBNull(10) ? null : OrderMachine.StatusChange(EnumText<OrderStatus>.Parse(reader.GetString(9)), EnumText<OrderStatus>.Parse(reader.GetString(10))));
        var amount = reader.GetInt64(6);
        var chainTime = reader.GetFieldValue<DateTimeOffset>(7);
        if (outcome.Kind == "unmatched")
        {
            LogUnmatched(logger, txHash, amount, reader.IsDBNull(8) ? "unknown" : reader.GetString(8));
        }

        Count(outcome, amount, chainTime, livemode);
        return outcome;
    }

    /// <summary>The metrics of one applied deposit: its kind, mode and lag, and the order's status change it made, if it made one.</summary>
    private void Count(DepositOutcome outcome, long amount, DateTimeOffset chainTime, bool livemode)
    {
        metrics.DepositApplied(outcome.Kind, amount, time.GetUtcNow() - chainTime, livemode);
        if (outcome.OrderMove is { } move)
        {
            orderMetrics.Transition(move);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unmatched deposit {TxHash} of {Nanoton} nanoTON kept for operators: {Reason}")]
    private static partial void LogUnmatched(ILogger logger, string txHash, long nanoton, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A deposit batch failed ({Kind}); its connection is discarded and the deposits after the failure go again")]
    private static partial void LogDiscarded(ILogger logger, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Recovered} of the {Count} deposits behind a failed one had been applied by the server; the rest go again")]
    private static partial void LogRecovered(ILogger logger, int recovered, int count);
}

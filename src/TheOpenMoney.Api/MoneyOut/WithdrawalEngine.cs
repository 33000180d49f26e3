using TheOpenMoney.Api.Infrastructure;
using TheOpenMoney.Api.Payments;
using TheOpenMoney.Api.Telegram;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>
/// The one engine that moves money out, refunds and partner withdrawals alike (one leader, lock
/// <see cref="LeaderLockKey"/>). Each run: expires partner withdrawals nobody confirmed in time; asks
/// partners in Telegram to confirm new ones; queues the refunds that are due (<see cref="RefundOptions"/>);
/// then — only while the processor is reachable and synced (it makes no withdrawals otherwise) — sends what
/// is pending and asks the processor how what it has is going. Every step is a move of
/// <see cref="WithdrawalMachine"/> committed before the next call out: the intent before the processor is
/// asked (a crash then means asking again with the same query_id, which the processor refuses as a
/// duplicate: recorded as sent, operators told, never sent twice), the answer as soon as it comes.
/// </summary>
public sealed partial class WithdrawalEngine(
    NpgsqlDataSource dataSource,
    WithdrawalLifecycle lifecycle,
    WithdrawalConfirmations confirmations,
    ProcessorWithdrawals processor,
    ProcessorClient processorClient,
    ITelegramMessenger messenger,
    MoneyOutMetrics metrics,
    TimeProvider time,
    IOptions<WithdrawalOptions> withdrawalOptions,
    IOptions<RefundOptions> refundOptions,
    ProcessorCurrencyNames currencyNames,
    ILogger<WithdrawalEngine> logger) : IBackgroundJob
{
    /// <summary>Advisory lock key of the engine's leader ("TOM-WDRL").</summary>
    internal const long LeaderLockKey = 0x544F4D2D5744524C;

    /// <summary>The processor user_id our withdrawals are asked under (bicycle keeps it as the request's meta).</summary>
    public const string RefundsUserId = "refunds";

    public const string PartnerWithdrawalsUserId = "withdrawals";

    /// <summary>How long a withdrawal whose id was not found waits before it is looked for again.</summary>
    public static readonly TimeSpan LostSearchPause = TimeSpan.FromMinutes(10);

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var settings = withdrawalOptions.Value;
        var busy = false;
        foreach (var expired in await lifecycle.ExpireDueAsync(settings.BatchSize, cancellationToken))
        {
            await confirmations.ShowOutcomeAsync(expired, "expired unconfirmed; the amount and the fee are back on your balance.", cancellationToken);
            busy = true;
        }

        busy |= await AskForConfirmationsAsync(settings.BatchSize, cancellationToken);
        busy |= await QueueDueRefundsAsync(settings.BatchSize, cancellationToken);
        if (await ProcessorReadyAsync(cancellationToken))
        {
            busy |= await SendPendingAsync(settings, cancellationToken);
            busy |= await FollowSentAsync(settings, cancellationToken);
            await FindLostAsync(settings, cancellationToken);
        }

        metrics.StateRead(await MoneyOutState.ReadAsync(dataSource, time.GetUtcNow(), cancellationToken));
        return busy ? JobOutcome.MoreWork : JobOutcome.Idle;
    }

    /// <summary>Partner withdrawals without their Telegram question yet: asked; one Telegram refuses for good is cancelled (its hold given back).</summary>
    private async Task<bool> AskForConfirmationsAsync(int limit, CancellationToken cancellationToken)
    {
        var unasked = new List<(long Id, long TelegramUserId, byte[] Salt)>();
        await using (var command = dataSource.CreateCommand(
            """
            SELECT w.id, p.telegram_user_id, w.confirm_salt FROM withdrawals w JOIN partners p ON p.id = w.partner_id
             WHERE w.status = 'awaiting_confirmation' AND w.telegram_message_id IS NULL AND w.confirm_by > $1 AND w.livemode
             ORDER BY w.id LIMIT $2
            """))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                unasked.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
            }
        }

        foreach (var (id, telegramUserId, salt) in unasked)
        {
            var withdrawal = await FindAsync(id, cancellationToken);
            if (withdrawal is null)
            {
                continue;
            }

            if (!messenger.Enabled || !await confirmations.AskAsync(withdrawal, telegramUserId, salt, cancellationToken))
            {
                await lifecycle.CancelAsync(withdrawal.PartnerId!.Value, id, "the confirmation could not be sent to you in Telegram", cancellationToken);
            }
        }

        return unasked.Count >= limit;
    }

    /// <summary>
    /// Unmatched deposits whose grace has passed, with a sender we can send to and more than dust: a refund each in
    /// the deposit's own currency (amount − that currency's fee, <see cref="RefundOptions.InUnitsOf"/>), once (the
    /// deposit's decision becomes refunding), for each currency we take (<see cref="ProcessorCurrencyNames.Codes"/>).
    /// </summary>
    private async Task<bool> QueueDueRefundsAsync(int limit, CancellationToken cancellationToken)
    {
        var settings = refundOptions.Value;
        if (!settings.Enabled)
        {
            return false;
        }

        var more = false;
        foreach (var currency in currencyNames.Codes)
        {
            more |= await QueueDueRefundsAsync(settings, currency, limit, cancellationToken);
        }

        return more;
    }

    private async Task<bool> QueueDueRefundsAsync(RefundOptions settings, string currency, int limit, CancellationToken cancellationToken)
    {
        var (fee, dust) = settings.InUnitsOf(currency);
        var due = new List<(long Id, string Source, string TxHash)>();
        await using (var command = dataSource.CreateCommand(
            """
            SELECT id, source_address, tx_hash FROM deposits
             WHERE kind = 'unmatched' AND decision IS NULL AND source_address IS NOT NULL AND livemode AND currency = $5
               AND unmatched_nanoton > $1 AND unmatched_nanoton > $2 AND applied_at <= $3
             ORDER BY applied_at LIMIT $4
            """))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = dust });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fee });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() - settings.Grace });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = currency });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                due.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        foreach (var (id, source, txHash) in due)
        {
            if (!TonAddress.IsValid(source))
            {
                // A sender the processor's row gave but we cannot read is no sender: left to the operators.
                await lifecycle.MarkUnrefundableAsync(id, cancellationToken);
                LogUnreadableSender(logger, id);
                continue;
            }

            await lifecycle.QueueRefundAsync(id, currency, fee, source, RefundComment(txHash), afterFailedRefund: false, cancellationToken);
        }

        return due.Count >= limit;
    }

    /// <summary>The transfer comment of a refund: <c>refund &lt;first 8 of the tx_hash&gt;: no matching order</c>.</summary>
    public static string RefundComment(string txHash)
    {
        ArgumentNullException.ThrowIfNull(txHash);
        return $"refund {txHash[..Math.Min(8, txHash.Length)]}: no matching order";
    }

    /// <summary>The processor sends nothing while it is not synced; while it cannot be asked, nothing is asked (all waits).</summary>
    private async Task<bool> ProcessorReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await processorClient.SyncAsync(cancellationToken)).IsSynced;
        }
        catch (Exception ex) when (IsProcessorFailure(ex, cancellationToken))
        {
            LogProcessorUnavailable(logger, FailureKind.Of(ex));
            return false;
        }
    }

    private async Task<bool> SendPendingAsync(WithdrawalOptions settings, CancellationToken cancellationToken)
    {
        var due = await DueAsync("pending", settings.BatchSize, cancellationToken);
        foreach (var id in due)
        {
            if (await lifecycle.BeginSendAsync(id, cancellationToken) is not { } withdrawal)
            {
                continue;
            }

            if (!currencyNames.Codes.Contains(withdrawal.Currency))
            {
                // USDT turned off (Payments:UsdtMaster emptied) with a USDT withdrawal queued: the processor is never asked
                // for a currency we no longer name; it fails, nothing sent (a hold comes back, a refund goes to the operators).
                LogCurrencyOff(logger, withdrawal.Id, withdrawal.Currency);
                if (await lifecycle.FailAsync(id, $"{withdrawal.Currency} is not offered on this server any more; nothing was sent", cancellationToken) is { } off)
                {
                    await confirmations.ShowOutcomeAsync(off, "it could not be sent; the amount and the fee are back on your balance.", cancellationToken);
                }

                continue;
            }

            SendOutcome outcome;
            try
            {
                outcome = await processor.SendAsync(
                    withdrawal.Kind == WithdrawalKind.Refund ? RefundsUserId : PartnerWithdrawalsUserId,
                    withdrawal.QueryId,
                    withdrawal.Currency,
                    withdrawal.AmountNanoton,
                    withdrawal.Destination,
                    withdrawal.Comment,
                    cancellationToken);
            }
            catch (Exception ex) when (IsProcessorFailure(ex, cancellationToken))
            {
                // Unknown whether it arrived: asked again next run with the same query_id (a duplicate is refused).
                LogSendUnanswered(logger, withdrawal.Id, FailureKind.Of(ex));
                await lifecycle.CheckAgainAtAsync(id, time.GetUtcNow() + settings.StatusCheckInterval, cancellationToken);
                return true;
            }

            var checkAt = time.GetUtcNow() + settings.StatusCheckInterval;
            switch (outcome)
            {
                case SendOutcome.Accepted accepted:
                    await lifecycle.MarkSentAsync(id, accepted.ProcessorId, checkAt, cancellationToken);
                    break;
                case SendOutcome.AlreadyHad:
                    await lifecycle.MarkSentAsync(id, null, checkAt, cancellationToken);
                    LogAlreadyHad(logger, withdrawal.Id, withdrawal.QueryId);
                    await messenger.NotifyOperatorsAsync(
                        HtmlText.Format($"Withdrawal {withdrawal.Id} ({withdrawal.QueryId}, {withdrawal.AmountText} to {withdrawal.Destination}): the processor already had it when asked again (its answer to the first request was lost). It is recorded as sent, never sent again; its processor id is looked up by its query_id (if that fails: withdrawals link --id {withdrawal.Id} --processor-id N)"),
                        cancellationToken);
                    break;
                case SendOutcome.Refused refused:
                    if (await lifecycle.FailAsync(id, refused.Reason, cancellationToken) is { } failed)
                    {
                        await confirmations.ShowOutcomeAsync(failed, "the processor refused it; the amount and the fee are back on your balance.", cancellationToken);
                    }

                    break;
            }
        }

        return due.Count >= settings.BatchSize;
    }

    private async Task<bool> FollowSentAsync(WithdrawalOptions settings, CancellationToken cancellationToken)
    {
        var due = await DueAsync("sent", settings.BatchSize, cancellationToken);
        foreach (var id in due)
        {
            var withdrawal = await FindAsync(id, cancellationToken);
            if (withdrawal is not { Status: WithdrawalStatus.Sent, ProcessorId: { } processorId })
            {
                continue;
            }

            ProcessorWithdrawalState? state;
            try
            {
                state = await processor.StatusAsync(processorId, cancellationToken);
            }
            catch (Exception ex) when (IsProcessorFailure(ex, cancellationToken))
            {
                LogProcessorUnavailable(logger, FailureKind.Of(ex));
                return true;
            }

            switch (state?.Status)
            {
                case "processed":
                    if (await lifecycle.CompleteAsync(id, state.TxHash!, cancellationToken))
                    {
                        await confirmations.ShowOutcomeAsync(withdrawal, $"sent, transaction {state.TxHash}.", cancellationToken);
                    }

                    break;
                case "failed":
                    if (await lifecycle.FailAsync(id, "the processor could not send it", cancellationToken) is { } failed)
                    {
                        await confirmations.ShowOutcomeAsync(failed, "the processor could not send it; the amount and the fee are back on your balance.", cancellationToken);
                    }

                    break;
                default:
                    if (state is null)
                    {
                        LogUnknownAtProcessor(logger, id, processorId);
                    }

                    await lifecycle.CheckAgainAtAsync(id, time.GetUtcNow() + settings.StatusCheckInterval, cancellationToken);
                    break;
            }
        }

        return due.Count >= settings.BatchSize;
    }

    /// <summary>
    /// Withdrawals the processor already had when asked again (its answer to the first request was lost): its ids
    /// are sequential and each status names the user_id and query_id it was asked with, so the id is found by
    /// reading them, newest first — up from past the highest id we hold to the newest, then down from it, skipping
    /// ids we hold — at most <see cref="WithdrawalOptions.LostSearchLimit"/> reads a run. Found, it is linked and
    /// followed like any other; not found, looked for again after <see cref="LostSearchPause"/>.
    /// </summary>
    private async Task FindLostAsync(WithdrawalOptions settings, CancellationToken cancellationToken)
    {
        var lost = new Dictionary<(string UserId, string QueryId), long>();
        await using (var command = dataSource.CreateCommand(
            "SELECT id, kind, query_id FROM withdrawals WHERE status = 'sent' AND processor_id_unknown AND next_check_at <= $1 ORDER BY id LIMIT $2"))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.BatchSize });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                lost[(reader.GetString(1) == "refund" ? RefundsUserId : PartnerWithdrawalsUserId, reader.GetString(2))] = reader.GetInt64(0);
            }
        }

        if (lost.Count == 0)
        {
            return;
        }

        var held = new HashSet<long>();
        await using (var command = dataSource.CreateCommand(
            "SELECT processor_id FROM withdrawals WHERE processor_id >= coalesce((SELECT max(processor_id) FROM withdrawals), 0) - $1"))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = settings.LostSearchLimit });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                held.Add(reader.GetInt64(0));
            }
        }

        var highest = held.Count == 0 ? 0 : held.Max();
        var reads = 0;
        try
        {
            for (var candidate = highest + 1; reads < settings.LostSearchLimit && lost.Count > 0; candidate++)
            {
                reads++;
                if (await processor.StatusAsync(candidate, cancellationToken) is not { } state)
                {
                    break; // past the newest
                }

                await LinkIfOursAsync(candidate, state, lost, cancellationToken);
            }

            for (var candidate = highest; candidate > 0 && reads < settings.LostSearchLimit && lost.Count > 0; candidate--)
            {
                if (held.Contains(candidate))
                {
                    continue;
                }

                reads++;
                if (await processor.StatusAsync(candidate, cancellationToken) is { } state)
                {
                    await LinkIfOursAsync(candidate, state, lost, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (IsProcessorFailure(ex, cancellationToken))
        {
            LogProcessorUnavailable(logger, FailureKind.Of(ex));
            return;
        }

        foreach (var id in lost.Values)
        {
            LogLostNotFound(logger, id, reads);
            await lifecycle.CheckAgainAtAsync(id, time.GetUtcNow() + LostSearchPause, cancellationToken);
        }
    }

    private async Task LinkIfOursAsync(long processorId, ProcessorWithdrawalState state, Dictionary<(string UserId, string QueryId), long> lost, CancellationToken cancellationToken)
    {
        if (state is { UserId: { } userId, QueryId: { } queryId } && lost.Remove((userId, queryId), out var id)
            && await lifecycle.LinkProcessorIdAsync(id, processorId, cancellationToken))
        {
            LogLostFound(logger, id, processorId);
        }
    }

    private async Task<List<long>> DueAsync(string status, int limit, CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        await using var command = dataSource.CreateCommand(
            "SELECT id FROM withdrawals WHERE status = $1 AND next_check_at <= $2 AND livemode AND NOT (status = 'sent' AND processor_id IS NULL) ORDER BY next_check_at, id LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private async Task<Withdrawal?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Withdrawal.Columns} FROM withdrawals WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Withdrawal.Read(reader) : null;
    }

    private static bool IsProcessorFailure(Exception exception, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && (exception is ProcessorException || HttpFailures.IsTransient(exception));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Withdrawals wait: the processor cannot be asked ({FailureKind})")]
    private static partial void LogProcessorUnavailable(ILogger logger, string failureKind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Withdrawal {WithdrawalId}: no answer from the processor ({FailureKind}); asked again with the same query_id")]
    private static partial void LogSendUnanswered(ILogger logger, long withdrawalId, string failureKind);

    [LoggerMessage(Level = LogLevel.Error, Message = "Withdrawal {WithdrawalId}: the processor already had query_id {QueryId}; recorded as sent, never sent again, its id looked up; operators told")]
    private static partial void LogAlreadyHad(ILogger logger, long withdrawalId, string queryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Withdrawal {WithdrawalId}: its processor id was found by its query_id ({ProcessorId}); its outcome is followed")]
    private static partial void LogLostFound(ILogger logger, long withdrawalId, long processorId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Withdrawal {WithdrawalId}: its query_id was not among the {Reads} processor withdrawals read; looked for again later (withdrawals link sets it by hand)")]
    private static partial void LogLostNotFound(ILogger logger, long withdrawalId, int reads);

    [LoggerMessage(Level = LogLevel.Error, Message = "Withdrawal {WithdrawalId}: the processor does not know its id {ProcessorId}")]
    private static partial void LogUnknownAtProcessor(ILogger logger, long withdrawalId, long processorId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Withdrawal {WithdrawalId} is in {Currency}, which this server no longer takes: failed, nothing sent")]
    private static partial void LogCurrencyOff(ILogger logger, long withdrawalId, string currency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unmatched deposit {DepositId} has a sender address that cannot be read: not refunded, left to the operators")]
    private static partial void LogUnreadableSender(ILogger logger, long depositId);
}

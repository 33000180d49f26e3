using System.Diagnostics;

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// Reads the processor's deposit history of the orders and top-ups user_ids in each currency we take (TON, and USDT
/// while it is on), oldest first, from a cursor per (user_id, currency) kept in the database (<see cref="ProcessorCursors"/>; re-reading some rows before it, and the
/// whole history now and then, because offsets can shift), and hands each page to
/// <see cref="DepositIntake"/>, which applies it on a few connections at once. The cursor moves once
/// the page is settled. One user_id's deposits that cannot be applied yet hold back only that
/// history; the run then fails (after the other one) so health shows it. One instance polls at a time
/// (leader lock <see cref="LeaderLockKey"/>).
/// </summary>
public sealed partial class DepositPoller(
    ProcessorClient processor,
    ProcessorPaymentAddresses addresses,
    ProcessorCurrencyNames currencies,
    DepositIntake intake,
    ProcessorCursors cursors,
    IOptions<PaymentProcessorOptions> options,
    TimeProvider time,
    PaymentMetrics metrics,
    ILogger<DepositPoller> logger) : IBackgroundJob
{
    /// <summary>Advisory lock key of the poller leader ("TOM-POLL").</summary>
    internal const long LeaderLockKey = 0x544F4D2D504F4C4C;

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Provisions the TON orders address at the processor the first time, so its history exists. Another currency's
            // addresses are provisioned when first needed (a USDT order, a partner's USDT top-up address); a history is
            // read once we have an address in it.
            _ = await addresses.GetOrdersAddressAsync(cancellationToken);
            var held = await addresses.UserCurrenciesAsync(cancellationToken);
            var sync = await processor.SyncAsync(cancellationToken);
            var settings = options.Value;
            DepositsNotSettledException? unsettled = null;
            foreach (var currency in currencies.Codes)
            {
                foreach (var userId in new[] { settings.OrdersUserId, settings.TopupsUserId })
                {
                    if (currency != PaymentCurrencies.Ton && !held.Contains((userId, currency)))
                    {
                        continue;
                    }

                    try
                    {
                        // Each history is read in its currency, so every row of it is a deposit in that currency.
                        await PollUserAsync(userId, currency, sync, cancellationToken);
                    }
                    catch (DepositsNotSettledException ex)
                    {
                        unsettled = ex;
                    }
                }
            }

            if (unsettled is not null)
            {
                throw unsettled;
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.PollFailed();
            throw;
        }

        metrics.PollCompleted(Stopwatch.GetElapsedTime(started));
        return JobOutcome.Idle;
    }

    private async Task PollUserAsync(string userId, string currency, ProcessorSync sync, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var cursor = await cursors.LoadAsync(userId, currency, cancellationToken);
        var fullScan = cursor.LastFullScanAt is null || now - cursor.LastFullScanAt >= settings.FullRescanInterval;
        var offset = fullScan ? 0 : Math.Max(0, cursor.NextOffset - settings.RescanOverlap);
        // The next page is fetched while this one is applied: a full page means there may be more.
        var next = processor.HistoryAsync(userId, currency, offset, settings.PageSize, cancellationToken);
        try
        {
            while (next is not null)
            {
                var waitStarted = Stopwatch.GetTimestamp();
                var page = await next;
                var waitMs = Stopwatch.GetElapsedTime(waitStarted).TotalMilliseconds;
                next = page.Count < settings.PageSize ? null : processor.HistoryAsync(userId, currency, offset + page.Count, settings.PageSize, cancellationToken);
                var applyStarted = Stopwatch.GetTimestamp();
                var taken = await intake.TakePageAsync(page, offset, userId, cancellationToken);
                var applyMs = Stopwatch.GetElapsedTime(applyStarted).TotalMilliseconds;
                LogPage(logger, userId, offset, page.Count, waitMs, applyMs);
                // Only past what is settled (every deposit committed or held): a crash or a failure before this re-reads it (tx_hash dedupes).
                if (taken.SettledUpTo > offset)
                {
                    await cursors.AdvanceAsync(userId, currency, taken.SettledUpTo, cancellationToken);
                }

                if (taken.Unsettled > 0)
                {
                    // The rest of the history waits for the next poll, which starts at the first deposit still to apply.
                    throw new DepositsNotSettledException(taken.Unsettled);
                }

                offset += page.Count;
            }
        }
        finally
        {
            // A failed apply leaves the prefetched page unread; its outcome (even a failure) is observed and dropped.
            if (next is not null)
            {
                await next.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        await cursors.MarkReadAsync(userId, currency, sync, fullScan, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "History of {UserId} at offset {Offset}: {Count} deposits, waited {WaitMs:F1} ms for the page (fetched while the previous one was applied), applied in {ApplyMs:F1} ms")]
    private static partial void LogPage(ILogger logger, string userId, long offset, int count, double waitMs, double applyMs);
}

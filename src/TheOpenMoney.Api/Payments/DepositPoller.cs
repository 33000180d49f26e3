using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TheOpenMoney.Api.Infrastructure.Data;
using TheOpenMoney.Api.Infrastructure.Background;

namespace TheOpenMoney.Api.Payments;

/// <summary>What the poller last did, for health.</summary>
public sealed class PollerStatus
{
    private readonly object _gate = new();

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public DateTimeOffset? LastFailureAt { get; private set; }

    public string? LastError { get; private set; }

    public bool IsLeader { get; private set; }

    public void Succeeded(DateTimeOffset at)
    {
        lock (_gate)
        {
            LastSuccessAt = at;
            LastError = null;
            IsLeader = true;
        }
    }

    public void Failed(DateTimeOffset at, string error)
    {
        lock (_gate)
        {
            LastFailureAt = at;
            LastError = error;
        }
    }

    public void Follower()
    {
        lock (_gate)
        {
            IsLeader = false;
        }
    }
}

/// <summary>
/// Polls the processor's deposit history for the orders and top-ups user_ids, oldest first, from a
/// cursor kept in the database (re-reading some rows before it, and the whole history now and then,
/// because offsets can shift), and applies each deposit in its own transaction (a page at a time, on a few connections
/// at once); the cursor moves once the whole page is committed. Deposits stored by the webhook but not applied yet are applied too. Then expires the
/// orders whose <c>expires_at</c> the processor has provably scanned past. One instance polls at a
/// time: the leader holds a session advisory lock on a dedicated connection.
/// </summary>
public sealed partial class DepositPoller(
    IServiceScopeFactory scopes,
    NpgsqlDataSource dataSource,
    IOptions<PaymentProcessorOptions> options,
    TimeProvider time,
    PaymentMetrics metrics,
    PollerStatus status,
    ILogger<DepositPoller> logger) : BackgroundService
{
    /// <summary>Advisory lock key of the poller leader ("TOM-POLL").</summary>
    internal const long LeaderLockKey = 0x544F4D2D504F4C4C;

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private NpgsqlConnection? _leaderConnection;

    /// <summary>One full poll (history of both user_ids, pending webhook deposits, expiry). False when another instance is the leader.</summary>
    public async Task<bool> PollOnceAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            if (!await EnsureLeaderAsync(cancellationToken))
            {
                status.Follower();
                return false;
            }

            var started = Stopwatch.GetTimestamp();
            await using var scope = scopes.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var processor = services.GetRequiredService<ProcessorClient>();
            var addresses = services.GetRequiredService<ProcessorPaymentAddresses>();
            _ = await addresses.GetOrdersAddressAsync(cancellationToken);
            var sync = await processor.SyncAsync(cancellationToken);
            var settings = options.Value;
            // Each user_id on its own: deposits that cannot be applied yet in one history hold back only that history.
            DepositsNotSettledException? unsettled = null;
            foreach (var userId in new[] { settings.OrdersUserId, settings.TopupsUserId })
            {
                try
                {
                    await PollUserAsync(services, processor, userId, sync, cancellationToken);
                }
                catch (DepositsNotSettledException ex)
                {
                    unsettled = ex;
                }
            }

            await services.GetRequiredService<DepositIntake>().ApplyStoredAsync(cancellationToken);
            await services.GetRequiredService<WebhookDeposits>().SettleHintsAsync(cancellationToken);
            await ExpireAsync(services, cancellationToken);
            if (unsettled is not null)
            {
                throw unsettled;
            }

            metrics.PollCompleted(Stopwatch.GetElapsedTime(started));
            status.Succeeded(time.GetUtcNow());
            return true;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Taken atomically: the host may stop its services more than once.
        var connection = Interlocked.Exchange(ref _leaderConnection, null);
        if (connection is null)
        {
            return;
        }

        var idle = await _oneAtATime.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        try
        {
            await AdvisoryLocks.ReleaseAsync(connection, LeaderLockKey);
        }
        finally
        {
            if (idle)
            {
                _oneAtATime.Release();
            }
        }
    }

    public override void Dispose()
    {
        // The semaphore is not disposed: the host may still be inside StopAsync when it disposes
        // services, and a SemaphoreSlim without a wait handle holds nothing to release.
        Interlocked.Exchange(ref _leaderConnection, null)?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
        do
        {
            try
            {
                await PollOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                metrics.PollFailed();
                status.Failed(time.GetUtcNow(), Infrastructure.FailureKind.Of(ex));
                LogPollFailed(logger, ex);
            }
        }
        while (await timer.NextTickAsync(stoppingToken));
    }

    private async Task<bool> EnsureLeaderAsync(CancellationToken cancellationToken)
    {
        if (_leaderConnection is { State: System.Data.ConnectionState.Open })
        {
            try
            {
                await using var ping = new NpgsqlCommand("SELECT 1", _leaderConnection);
                await ping.ExecuteScalarAsync(cancellationToken);
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // The connection (and with it the lock) is gone: compete again.
            }
        }

        if (_leaderConnection is not null)
        {
            await _leaderConnection.DisposeAsync();
            _leaderConnection = null;
        }

        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LeaderLockKey})", connection);
        if ((bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
        {
            _leaderConnection = connection;
            LogLeader(logger);
            return true;
        }

        await connection.DisposeAsync();
        return false;
    }

    private async Task PollUserAsync(IServiceProvider services, ProcessorClient processor, string userId, ProcessorSync sync, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var intake = services.GetRequiredService<DepositIntake>();
        var now = time.GetUtcNow();
        var cursor = await LoadCursorAsync(userId, now, cancellationToken);
        var fullScan = cursor.LastFullScanAt is null || now - cursor.LastFullScanAt >= settings.FullRescanInterval;
        var offset = fullScan ? 0 : Math.Max(0, cursor.NextOffset - settings.RescanOverlap);
        // The next page is fetched while this one is applied: a full page means there may be more.
        var next = processor.HistoryAsync(userId, offset, settings.PageSize, cancellationToken);
        try
        {
            while (next is not null)
            {
                var waitStarted = Stopwatch.GetTimestamp();
                var page = await next;
                var waitMs = Stopwatch.GetElapsedTime(waitStarted).TotalMilliseconds;
                next = page.Count < settings.PageSize ? null : processor.HistoryAsync(userId, offset + page.Count, settings.PageSize, cancellationToken);
                var applyStarted = Stopwatch.GetTimestamp();
                var taken = await intake.TakePageAsync(page, offset, userId, cancellationToken);
                var applyMs = Stopwatch.GetElapsedTime(applyStarted).TotalMilliseconds;
                LogPage(logger, userId, offset, page.Count, waitMs, applyMs);
                // Only past what is settled (every deposit committed or held): a crash or a failure before this re-reads it (tx_hash dedupes).
                if (taken.SettledUpTo > offset)
                {
                    await AdvanceCursorAsync(userId, taken.SettledUpTo, cancellationToken);
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

        // Every deposit dated up to the block the processor had scanned before this read is now stored.
        await using var done = dataSource.CreateCommand(
            """
            UPDATE processor_cursors
               SET last_success_at = $2, updated_at = $2,
                   synced_to = CASE WHEN $3 THEN GREATEST(coalesce(synced_to, $4), $4) ELSE synced_to END,
                   last_full_scan_at = CASE WHEN $5 THEN $2 ELSE last_full_scan_at END
             WHERE processor_user_id = $1
            """);
        done.Parameters.Add(new NpgsqlParameter { Value = userId });
        done.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        done.Parameters.Add(new NpgsqlParameter { Value = sync.IsSynced });
        done.Parameters.Add(new NpgsqlParameter { Value = sync.LastBlockAt });
        done.Parameters.Add(new NpgsqlParameter { Value = fullScan });
        await done.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task AdvanceCursorAsync(string userId, long offset, CancellationToken cancellationToken)
    {
        await using var advance = dataSource.CreateCommand(
            "UPDATE processor_cursors SET next_offset = GREATEST(next_offset, $2), updated_at = $3 WHERE processor_user_id = $1");
        advance.Parameters.Add(new NpgsqlParameter { Value = userId });
        advance.Parameters.Add(new NpgsqlParameter { Value = offset });
        advance.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await advance.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<ProcessorCursor> LoadCursorAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO processor_cursors (processor_user_id, next_offset, updated_at) VALUES ($1, 0, $2)
            ON CONFLICT (processor_user_id) DO UPDATE SET processor_user_id = EXCLUDED.processor_user_id
            RETURNING next_offset, last_full_scan_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ProcessorCursor
        {
            ProcessorUserId = userId,
            NextOffset = reader.GetInt64(0),
            LastFullScanAt = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
        };
    }

    /// <summary>
    /// <c>pending_payment → expired</c> only for orders whose <c>expires_at</c> is before the instant up
    /// to which every deposit has been read (so a payment dated before expiry can no longer show up);
    /// a short payment already received is credited back (<c>underpayment</c>) in the same transaction.
    /// </summary>
    private async Task ExpireAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<AppDbContext>();
        var syncedTo = await db.ProcessorCursors.Where(c => c.ProcessorUserId == options.Value.OrdersUserId)
            .Select(c => c.SyncedTo).FirstOrDefaultAsync(cancellationToken);
        if (syncedTo is null)
        {
            return;
        }

        metrics.RecordSyncedTo(syncedTo.Value);
        await services.GetRequiredService<Orders.OrderLifecycle>().ExpireDueAsync(syncedTo.Value, limit: 1000, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "History of {UserId} at offset {Offset}: {Count} deposits, waited {WaitMs:F1} ms for the page (fetched while the previous one was applied), applied in {ApplyMs:F1} ms")]
    private static partial void LogPage(ILogger logger, string userId, long offset, int count, double waitMs, double applyMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "This instance now polls the payment processor")]
    private static partial void LogLeader(ILogger logger);

    /// <summary>Some deposits of a page could not be applied yet; the cursor stays before them.</summary>
    private sealed class DepositsNotSettledException(int count)
        : Exception($"{count} deposits could not be applied yet; the next poll reads them again"), Infrastructure.IHasFailureKind
    {
        public string FailureKind => "deposits_not_settled";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling the payment processor failed; retrying next interval")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}

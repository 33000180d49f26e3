using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// The processor (reachable, synced, lag behind the chain) and the poller (last success, what is
/// waiting; its <c>last_error</c> is the kind of a failure of the poll, the stored-deposit recovery or
/// the expiry since their last success). Degraded when the processor is unreachable or out of sync,
/// or the poller has not succeeded for a while.
/// </summary>
public sealed class ProcessorHealthCheck(
    ProcessorClient processor,
    AppDbContext db,
    JobStatusRegistry jobs,
    TimeProvider time,
    IOptions<PaymentProcessorOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Health.HealthSetup.CheckTimeout / 2);
            var sync = await processor.SyncAsync(timeout.Token);
            data["reachable"] = true;
            data["is_synced"] = sync.IsSynced;
            data["lag_seconds"] = Math.Max(0, (long)(now - sync.LastBlockAt).TotalSeconds);
            if (!sync.IsSynced)
            {
                problems.Add("processor is not synced");
            }
        }
        catch (Exception ex) when (ex is ProcessorException or OperationCanceledException || HttpFailures.IsTransient(ex))
        {
            data["reachable"] = false;
            problems.Add("processor unreachable");
        }

        var poller = jobs.Get<DepositPoller>();
        var cursors = await db.ProcessorCursors.AsNoTracking().ToListAsync(cancellationToken);
        var syncedTo = cursors.FirstOrDefault(c => c.ProcessorUserId == options.Value.OrdersUserId && c.Currency == options.Value.Currency)?.SyncedTo;
        data["poller"] = new Dictionary<string, object?>
        {
            ["leader"] = poller.IsLeader,
            ["last_success_at"] = poller.LastSuccessAt,
            ["seconds_since_success"] = poller.LastSuccessAt is { } at ? (long)(now - at).TotalSeconds : null,
            ["last_error"] = poller.CurrentFailureKind
                ?? jobs.Get<StoredDepositRecovery>().CurrentFailureKind
                ?? jobs.Get<OrderExpiry>().CurrentFailureKind,
            ["synced_to"] = syncedTo,
            ["cursor_lag_seconds"] = syncedTo is { } s ? Math.Max(0, (long)(now - s).TotalSeconds) : null,
            ["unapplied_deposits"] = await db.Deposits.CountAsync(d => d.AppliedAt == null, cancellationToken),
            ["unmatched_deposits"] = await db.Deposits.CountAsync(d => d.Kind == "unmatched", cancellationToken),
            ["quarantined_deposits"] = await db.QuarantinedDeposits.CountAsync(q => q.ReleasedAt == null, cancellationToken),
        };
        var stale = options.Value.PollInterval * 3 + TimeSpan.FromSeconds(30);
        if (poller.IsLeader && poller.LastSuccessAt is { } last && now - last > stale)
        {
            problems.Add("poller has not succeeded recently");
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy(data: data)
            : HealthCheckResult.Degraded(string.Join("; ", problems), data: data);
    }
}

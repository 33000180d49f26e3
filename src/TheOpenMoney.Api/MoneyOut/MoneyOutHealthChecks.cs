using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>
/// <c>money_out</c>: the engine (last success, failing or not), withdrawals waiting by status, the oldest
/// confirmed one not yet done, failures in the last day, and withdrawals the processor already had when asked
/// (sent, its id unknown: an operator must link it). Degraded when the engine fails, when one of those waits for
/// an operator, or when a confirmed withdrawal has waited over an hour.
/// </summary>
public sealed class MoneyOutHealthCheck(JobStatusRegistry jobs, NpgsqlDataSource dataSource, TimeProvider time) : IHealthCheck
{
    private static readonly TimeSpan LongWait = TimeSpan.FromHours(1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var engine = jobs.Get<WithdrawalEngine>();
        var state = await MoneyOutState.ReadAsync(dataSource, time.GetUtcNow(), cancellationToken);
        var data = new Dictionary<string, object>
        {
            ["awaiting_confirmation"] = state.Waiting["awaiting_confirmation"],
            ["pending"] = state.Waiting["pending"],
            ["sent"] = state.Waiting["sent"],
            ["oldest_waiting_seconds"] = Math.Round(state.OldestWaiting.TotalSeconds, 1),
            ["failed_last_day"] = state.FailedLastDay,
            ["unknown_processor_ids"] = state.UnknownProcessorIds,
            ["engine_last_success_at"] = (object?)engine.LastSuccessAt ?? "never",
            ["engine_last_error"] = (object?)engine.CurrentFailureKind ?? "none",
        };
        var problem = engine.IsFailing ? "the withdrawal engine is failing"
            : state.UnknownProcessorIds > 0 ? "a withdrawal the processor already had needs an operator (withdrawals link)"
            : state.OldestWaiting > LongWait ? $"a confirmed withdrawal has waited {state.OldestWaiting.TotalMinutes:0} minutes"
            : null;
        return problem is null ? HealthCheckResult.Healthy(data: data) : HealthCheckResult.Degraded(problem, data: data);
    }
}

/// <summary><c>reconciliation</c>: the latest run (when, status, the addresses that differ); degraded on a mismatch or a shortfall.</summary>
public sealed class ReconciliationHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (await Reconciler.LatestAsync(dataSource, cancellationToken) is not { } latest)
        {
            return HealthCheckResult.Healthy(data: new Dictionary<string, object> { ["last_run_at"] = "never" });
        }

        var data = new Dictionary<string, object>
        {
            ["last_run_at"] = latest.RanAt,
            ["last_status"] = latest.Status,
            ["addresses_differing"] = latest.Differences?.AsArray().Count ?? 0,
        };
        return latest.Status is "mismatch" or "shortfall"
            ? HealthCheckResult.Degraded($"reconciliation: {latest.Status}", data: data)
            : HealthCheckResult.Healthy(data: data);
    }
}

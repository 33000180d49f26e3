using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// The delivery job (last success, failing or not) and the queue (<see cref="WebhookQueueState"/>): degraded
/// when the job fails, or when a delivery to an endpoint that is not backing off has waited longer than
/// <see cref="WebhookOptions.DueAgeDegradedAfter"/> (the worker is behind). Endpoints backing off or disabled
/// are their partners' trouble: counted, not degrading.
/// </summary>
public sealed class WebhookHealthCheck(JobStatusRegistry jobs, NpgsqlDataSource dataSource, TimeProvider time, IOptions<WebhookOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var worker = jobs.Get<WebhookDeliveryWorker>();
        var queue = await WebhookQueueState.ReadAsync(dataSource, settings.CircuitBreakAfter, time.GetUtcNow(), cancellationToken);
        var data = new Dictionary<string, object>
        {
            ["pending_deliveries"] = queue.Pending,
            ["oldest_due_seconds"] = Math.Round(queue.OldestDueAge.TotalSeconds, 1),
            ["endpoints_in_backoff"] = queue.EndpointsInBackoff,
            ["disabled_endpoints"] = queue.DisabledEndpoints,
            ["worker_last_success_at"] = (object?)worker.LastSuccessAt ?? "never",
            ["worker_last_error"] = (object?)worker.CurrentFailureKind ?? "none",
        };
        if (worker.IsFailing)
        {
            return HealthCheckResult.Degraded("the webhook delivery job is failing", data: data);
        }

        return queue.OldestDueAge > settings.DueAgeDegradedAfter
            ? HealthCheckResult.Degraded($"webhook deliveries have been due for {queue.OldestDueAge.TotalSeconds:0} s: the delivery job is behind", data: data)
            : HealthCheckResult.Healthy(data: data);
    }
}

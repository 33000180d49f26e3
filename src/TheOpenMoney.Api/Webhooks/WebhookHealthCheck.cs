using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>The delivery job (last success, failing or not), deliveries waiting, endpoints disabled.</summary>
public sealed class WebhookHealthCheck(JobStatusRegistry jobs, NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var worker = jobs.Get<WebhookDeliveryWorker>();
        await using var command = dataSource.CreateCommand(
            """
            SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
                   (SELECT count(*) FROM webhook_endpoints WHERE NOT enabled),
                   (SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending')
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var data = new Dictionary<string, object>
        {
            ["pending_deliveries"] = reader.GetInt64(0),
            ["disabled_endpoints"] = reader.GetInt64(1),
            ["worker_last_success_at"] = (object?)worker.LastSuccessAt ?? "never",
            ["worker_last_error"] = (object?)worker.CurrentFailureKind ?? "none",
        };
        return worker.IsFailing
            ? HealthCheckResult.Degraded("the webhook delivery job is failing", data: data)
            : HealthCheckResult.Healthy(data: data);
    }
}

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// The delivery queue at a glance, for health and metrics: what is pending, the oldest delivery due to an
/// endpoint that is not backing off (how far the worker is behind: it should stay near zero whatever any
/// partner's endpoint does), and how many endpoints are disabled or backing off (their circuit open).
/// Counts only: never a partner id.
/// </summary>
public sealed record WebhookQueueState(long Pending, long DisabledEndpoints, long EndpointsInBackoff, TimeSpan OldestDueAge)
{
    public static async Task<WebhookQueueState> ReadAsync(NpgsqlDataSource dataSource, int circuitBreakAfter, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            """
            SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
                   (SELECT count(*) FROM webhook_endpoints WHERE NOT enabled),
                   (SELECT count(*) FROM webhook_endpoints WHERE enabled AND consecutive_failures >= $1),
                   (SELECT min(head.due) FROM webhook_endpoints w
                     CROSS JOIN LATERAL (SELECT next_attempt_at AS due FROM webhook_deliveries d
                                          WHERE d.partner_id = w.partner_id AND d.status = 'pending'
                                          ORDER BY next_attempt_at LIMIT 1) head
                     WHERE w.enabled AND w.consecutive_failures < $1)
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = circuitBreakAfter });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var oldestDue = reader.IsDBNull(3) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(3);
        var age = oldestDue is { } due && due < now ? now - due : TimeSpan.Zero;
        return new WebhookQueueState(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), age);
    }
}

/// <summary>Reads <see cref="WebhookQueueState"/> every <see cref="WebhookOptions.QueueGaugeInterval"/> into the gauges of <see cref="WebhookMetrics"/>.</summary>
public sealed class WebhookQueueGauges(NpgsqlDataSource dataSource, WebhookMetrics metrics, TimeProvider time, IOptions<WebhookOptions> options) : IBackgroundJob
{
    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        metrics.QueueRead(await WebhookQueueState.ReadAsync(dataSource, options.Value.CircuitBreakAfter, time.GetUtcNow(), cancellationToken));
        return JobOutcome.Idle;
    }
}

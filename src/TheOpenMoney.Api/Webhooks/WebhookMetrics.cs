using System.Diagnostics.Metrics;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// Webhook attempts by outcome, their duration, the lag from commit to delivery, endpoints disabled; and
/// the queue's gauges (<see cref="WebhookQueueGauges"/>): deliveries pending, the oldest one due to an
/// endpoint that is not backing off, endpoints backing off. No partner id is ever a label.
/// </summary>
public sealed class WebhookMetrics
{
    public const string MeterName = "TheOpenMoney.Webhooks";

    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _disabled;
    private WebhookQueueState? _queue;

    public WebhookMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _attempts = meter.CreateCounter<long>("tom.webhooks.attempts", "{attempt}", "Webhook attempts by outcome (delivered, retried, failed)");
        _duration = meter.CreateHistogram<double>("tom.webhooks.attempt_duration", "s", "How long an attempt took");
        _lag = meter.CreateHistogram<double>("tom.webhooks.delivery_lag", "s", "From the event's commit to its delivery");
        _disabled = meter.CreateCounter<long>("tom.webhooks.endpoints_disabled", "{endpoint}", "Endpoints disabled after MaxAttemptAge");
        meter.CreateObservableGauge("tom.webhooks.pending", () => Observed(q => q.Pending), "{delivery}", "Deliveries waiting (due or backing off)");
        meter.CreateObservableGauge("tom.webhooks.oldest_due_age", () => Observed(q => q.OldestDueAge.TotalSeconds), "s", "How long the oldest delivery due to an endpoint that is not backing off has waited");
        meter.CreateObservableGauge("tom.webhooks.endpoints_in_backoff", () => Observed(q => q.EndpointsInBackoff), "{endpoint}", "Endpoints whose circuit is open (one probe at a time)");
    }

    public void QueueRead(WebhookQueueState state) => Volatile.Write(ref _queue, state);

    private IEnumerable<Measurement<T>> Observed<T>(Func<WebhookQueueState, T> read)
        where T : struct =>
        Volatile.Read(ref _queue) is { } state ? [new Measurement<T>(read(state))] : [];

    public void Attempted(string outcome, TimeSpan duration, TimeSpan? lag)
    {
        _attempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _duration.Record(duration.TotalSeconds);
        if (lag is { } value)
        {
            _lag.Record(Math.Max(0, value.TotalSeconds));
        }
    }

    public void EndpointDisabled() => _disabled.Add(1);
}

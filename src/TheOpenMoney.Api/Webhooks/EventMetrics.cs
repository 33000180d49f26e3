using System.Diagnostics.Metrics;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>Events numbered, deliveries queued, and how long committed events waited to be numbered.</summary>
public sealed class EventMetrics
{
    public const string MeterName = "TheOpenMoney.Events";

    private readonly Counter<long> _events;
    private readonly Counter<long> _queued;
    private readonly Histogram<double> _lag;

    public EventMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _events = meter.CreateCounter<long>("tom.events.dispatched", "{event}", "Events given their public id");
        _queued = meter.CreateCounter<long>("tom.webhooks.queued", "{delivery}", "Webhook deliveries queued");
        _lag = meter.CreateHistogram<double>("tom.events.dispatch_lag", "s", "From the commit of the oldest event of a batch to its numbering");
    }

    public void Dispatched(long events, long queued, TimeSpan? oldest)
    {
        if (events == 0)
        {
            return;
        }

        _events.Add(events);
        _queued.Add(queued);
        if (oldest is { } lag)
        {
            _lag.Record(lag.TotalSeconds);
        }
    }
}

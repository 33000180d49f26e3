namespace TheOpenMoney.Api.Webhooks;

/// <summary>The event log (section <c>Webhooks</c>, shared with the webhook deliveries).</summary>
public sealed class EventOptions
{
    public const string Section = "Webhooks";

    /// <summary>How long events are kept (at least 30 days).</summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often committed events get their public id and are queued for delivery.</summary>
    public TimeSpan DispatchInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Events numbered per run of the dispatcher (more wait for the next run at once).</summary>
    public int DispatchBatchSize { get; set; } = 2000;
}

namespace TheOpenMoney.Api.Webhooks;

/// <summary>Partner webhooks (section <c>Webhooks</c>; the names are fixed by the contract).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Allows <c>http</c> URLs as well as <c>https</c> (never any other scheme). Local runs and tests only.</summary>
    public bool AllowInsecureUrls { get; set; }

    /// <summary>Allows hosts that resolve to loopback, private, link-local … addresses. Local runs and tests only.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>The first retry's wait; doubled per attempt with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(6);

    /// <summary>An event not delivered this long after it was queued fails, and the endpoint is disabled.</summary>
    public TimeSpan MaxAttemptAge { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How long one attempt may take (connect, send, the answer's status).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the previous secret keeps signing after a rotation.</summary>
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the delivery job looks for due deliveries when it found none.</summary>
    public TimeSpan DeliveryInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Deliveries claimed per run of the job on one instance.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>Attempts in flight at once on one instance.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>Attempts in flight at once to one partner's endpoint (a slow endpoint holds only these).</summary>
    public int PerEndpointConcurrency { get; set; } = 16;

    /// <summary>
    /// Attempts in a row without a 2xx after which an endpoint's circuit opens: it then gets one attempt at a
    /// time (a probe; each delivery keeps its own backoff); a 2xx closes it and makes its backlog due.
    /// </summary>
    public int CircuitBreakAfter { get; set; } = 5;

    /// <summary>
    /// Secrets still signing after rotations, at most: a rotation beyond that is refused until the oldest
    /// expires. Fixed (the contract's <c>TOM-Signature</c> pattern allows 1 + this many <c>v1=</c>).
    /// </summary>
    public const int MaxRetiringSecrets = 4;

    /// <summary>Health says <c>degraded</c> when a delivery to an endpoint that is not backing off has been due this long (the worker is behind).</summary>
    public TimeSpan DueAgeDegradedAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the queue's gauges (oldest due delivery, endpoints backing off) are read.</summary>
    public TimeSpan QueueGaugeInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of an endpoint's answer read (and then ignored).</summary>
    public const int MaxResponseBytes = 64 * 1024;
}

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

    /// <summary>Bytes of an endpoint's answer read (and then ignored).</summary>
    public const int MaxResponseBytes = 64 * 1024;
}

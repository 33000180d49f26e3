namespace TheOpenMoney.Api.Infrastructure.Http;

/// <summary>Resilience settings of one outgoing HTTP dependency (bound from its configuration section's <c>Http</c>).</summary>
public sealed class HttpResilienceOptions
{
    /// <summary>Per attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries after the first attempt (0: none).</summary>
    public int MaxRetries { get; set; } = 2;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait before a retry, a server's <c>Retry-After</c> included.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Open the circuit when at least this share of calls failed in the sampling window (0 disables the breaker).</summary>
    public double CircuitFailureRatio { get; set; }

    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}

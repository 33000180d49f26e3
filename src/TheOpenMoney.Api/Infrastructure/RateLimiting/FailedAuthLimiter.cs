namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>
/// Counts failed authentications (partner keys, webhook tokens) per client address. A valid
/// credential is never refused because others failed from the same address: only failures are
/// limited, and past the limit a failure answers 429 (with the real time until the window ends)
/// instead of 401. The client address is the connection's, or the <c>X-Forwarded-For</c> one when
/// the connection comes from a configured trusted proxy (<c>ForwardedHeaders:*</c>).
/// </summary>
public sealed class FailedAuthLimiter(IOptions<RateLimitingOptions> options, TimeProvider time, RateLimitMetrics metrics)
{
    private readonly FixedWindowCounters _failures = new(time);

    /// <summary>Counts one failure from <paramref name="clientAddress"/>; false (and how long to wait) when the address is over its limit.</summary>
    public bool TryRecordFailure(string clientAddress, out TimeSpan retryAfter)
    {
        var settings = options.Value;
        var decision = _failures.TryTake([new Quota("failed:" + clientAddress, settings.FailedAuthPerIpPerMinute)], settings.Window);
        retryAfter = decision.RetryAfter;
        if (!decision.Allowed)
        {
            metrics.Rejected("failed_auth");
        }

        return decision.Allowed;
    }

    /// <summary>The client address a request is counted under.</summary>
    public static string ClientAddress(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
    }
}

namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>
/// Counts failed authentications (partner keys, webhook tokens) per client address. A valid
/// credential is never refused because others failed from the same address: only failures are
/// limited, and past the limit a failure answers 429 (with the real time until the window ends)
/// instead of 401. The client address is the connection's, or the <c>X-Forwarded-For</c> one when
/// the connection comes from a configured trusted proxy (<c>ForwardedHeaders:*</c>). Counted across all
/// instances (<see cref="SharedQuotaCounters"/>).
/// </summary>
public sealed class FailedAuthLimiter(SharedQuotaCounters counters, IOptions<RateLimitingOptions> options, RateLimitMetrics metrics)
{
    /// <summary>Counts one failure from <paramref name="clientAddress"/>: allowed, or over the limit and how long to wait.</summary>
    public async ValueTask<(bool Allowed, TimeSpan RetryAfter)> TryRecordFailureAsync(string clientAddress, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var decision = await counters.TryTakeAsync([new Quota("failed:" + clientAddress, settings.FailedAuthPerIpPerMinute)], settings.Window, cancellationToken);
        if (!decision.Allowed)
        {
            metrics.Rejected("failed_auth");
        }

        return (decision.Allowed, decision.RetryAfter);
    }

    /// <summary>The client address a request is counted under.</summary>
    public static string ClientAddress(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
    }
}

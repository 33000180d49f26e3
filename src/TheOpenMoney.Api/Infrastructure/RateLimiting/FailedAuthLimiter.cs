using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>
/// Counts failed authentications per client IP. Once an IP is over its limit, no key from it is
/// even looked at until the window ends (a blocked IP learns nothing about which keys exist).
/// </summary>
public sealed class FailedAuthLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public FailedAuthLimiter(IOptions<RateLimitingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _limiter = PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetFixedWindowLimiter(
            ip,
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = settings.FailedAuthPerIpPerMinute,
                Window = settings.Window,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>True when the IP has used up its failures; <paramref name="retryAfter"/> says for how long.</summary>
    public bool IsBlocked(string ip, out TimeSpan retryAfter)
    {
        using var probe = _limiter.AttemptAcquire(ip, 0);
        if (probe.IsAcquired)
        {
            retryAfter = TimeSpan.Zero;
            return false;
        }

        retryAfter = probe.TryGetMetadata(MetadataName.RetryAfter, out var value) ? value : TimeSpan.FromMinutes(1);
        return true;
    }

    public void RecordFailure(string ip)
    {
        using var lease = _limiter.AttemptAcquire(ip);
    }

    public void Dispose() => _limiter.Dispose();
}

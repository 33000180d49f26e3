using System.Threading.RateLimiting;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// The cooldown on the key commands (<c>/api</c>, <c>/revoke</c>): at most
/// <see cref="TelegramOptions.KeyCommandsPerWindow"/> per Telegram user (<c>from.id</c>) in a sliding
/// <see cref="TelegramOptions.KeyCommandsWindow"/>. In memory, per instance (in Polling mode one
/// instance handles every update).
/// </summary>
public sealed class KeyCommandLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<long> _limiter;
    private readonly TimeSpan _window;

    public KeyCommandLimiter(IOptions<TelegramOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _window = settings.KeyCommandsWindow;
        _limiter = PartitionedRateLimiter.Create<long, long>(userId => RateLimitPartition.GetSlidingWindowLimiter(
            userId,
            _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = settings.KeyCommandsPerWindow,
                Window = settings.KeyCommandsWindow,
                SegmentsPerWindow = 10,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Takes one permit; false (and roughly how long to wait) when the user is over the limit.</summary>
    public bool TryAcquire(long telegramUserId, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(telegramUserId);
        if (lease.IsAcquired)
        {
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var value) ? value : _window;
        return false;
    }

    public void Dispose() => _limiter.Dispose();
}

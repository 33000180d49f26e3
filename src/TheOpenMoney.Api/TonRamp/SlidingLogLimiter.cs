using TheOpenMoney.Api.Infrastructure.RateLimiting;

namespace TheOpenMoney.Api.TonRamp;

/// <summary>
/// An exact moving-window limit shared by every instance: at most <c>limit</c> permits in ANY window of
/// <c>window</c> length (a log of grant times in the <see cref="ILimitStore"/>: PostgreSQL's <c>tonramp_permits</c>,
/// taken under an advisory lock by <c>tonramp_take_permit</c>, or a Redis sorted set), so the requests all instances
/// send together never exceed a provider's published limit. TonRamp's rates are tens a minute: one short statement
/// per request is nothing.
/// </summary>
public sealed class SlidingLogLimiter(ILimitStore store, string kind, int limit, TimeSpan window, TimeProvider time)
{
    /// <summary>Takes a permit now; otherwise says how long until one frees up.</summary>
    public async Task<(bool Granted, TimeSpan RetryAfter)> TryAcquireAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await store.TakeMovingAsync(kind, now, window, limit, cancellationToken) is { } freeAt
            ? (false, freeAt > now ? freeAt - now : TimeSpan.FromMilliseconds(1))
            : (true, TimeSpan.Zero);
    }

    /// <summary>Permits granted (by any instance) in the last window.</summary>
    public Task<long> InUseAsync(CancellationToken cancellationToken) => store.MovingInUseAsync(kind, time.GetUtcNow(), window, cancellationToken);
}

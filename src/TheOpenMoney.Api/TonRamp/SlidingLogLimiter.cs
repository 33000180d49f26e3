namespace TheOpenMoney.Api.TonRamp;

/// <summary>
/// An exact moving-window limit: at most <c>limit</c> permits in ANY window of <c>window</c> length
/// (a log of grant times, not fixed buckets), so bursts can never exceed a provider's published limit.
/// </summary>
public sealed class SlidingLogLimiter(int limit, TimeSpan window, TimeProvider time)
{
    private readonly Queue<DateTimeOffset> _granted = new();
    private readonly object _gate = new();

    /// <summary>Takes a permit now, or says how long until one frees up.</summary>
    public bool TryAcquire(out TimeSpan retryAfter)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            while (_granted.Count > 0 && now - _granted.Peek() > window)
            {
                _granted.Dequeue();
            }

            if (_granted.Count < limit)
            {
                _granted.Enqueue(now);
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = _granted.Peek() + window - now;
            return false;
        }
    }

    /// <summary>Waits for a permit (for background work that may queue).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        while (!TryAcquire(out var retryAfter))
        {
            await Task.Delay(retryAfter + TimeSpan.FromMilliseconds(5), time, cancellationToken);
        }
    }

    public int InUse
    {
        get
        {
            lock (_gate)
            {
                var now = time.GetUtcNow();
                return _granted.Count(t => now - t < window);
            }
        }
    }
}

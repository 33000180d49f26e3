namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>One limit: at most <see cref="Limit"/> permits per window for <see cref="Key"/>.</summary>
public readonly record struct Quota(string Key, int Limit);

/// <summary>
/// The outcome of taking permits. <see cref="Limit"/>, <see cref="Remaining"/> and <see cref="Reset"/>
/// describe the tightest quota (for the <c>RateLimit-*</c> headers); <see cref="RetryAfter"/> is the real
/// time until a rejected request would pass.
/// </summary>
public readonly record struct QuotaDecision(bool Allowed, int Limit, int Remaining, TimeSpan Reset, TimeSpan RetryAfter);

/// <summary>
/// Fixed-window counters per key, with exact reset times. Several quotas are taken together or not
/// at all, so a request one limit refuses never uses up another limit's budget (ASP.NET Core's
/// chained limiters take the global permit before the endpoint's refuses, and report the whole
/// window as <c>Retry-After</c>). Written by hand for those two properties and the <c>RateLimit-*</c>
/// headers, which no served library gives. Windows that have ended are swept now and then, so the
/// memory held is bounded by the keys active in one window.
/// </summary>
public sealed class FixedWindowCounters(TimeProvider time)
{
    private const int SweepEvery = 4096;

    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _sinceSweep;

    /// <summary>Takes one permit from every quota, or none: allowed only when each has room.</summary>
    public QuotaDecision TryTake(ReadOnlySpan<Quota> quotas, TimeSpan window)
    {
        if (quotas.IsEmpty)
        {
            throw new ArgumentException("at least one quota", nameof(quotas));
        }

        var now = time.GetUtcNow();
        lock (_gate)
        {
            SweepIfDue(now, window);
            var allowed = true;
            var retryAfter = TimeSpan.Zero;
            Span<int> remaining = stackalloc int[quotas.Length];
            for (var i = 0; i < quotas.Length; i++)
            {
                var current = Current(quotas[i].Key, now, window);
                remaining[i] = quotas[i].Limit - current.Count;
                if (remaining[i] <= 0)
                {
                    allowed = false;
                    var wait = current.Start + window - now;
                    retryAfter = wait > retryAfter ? wait : retryAfter;
                }
            }

            if (allowed)
            {
                for (var i = 0; i < quotas.Length; i++)
                {
                    _windows[quotas[i].Key].Count++;
                    remaining[i]--;
                }
            }

            var tightest = 0;
            for (var i = 1; i < quotas.Length; i++)
            {
                if (remaining[i] < remaining[tightest])
                {
                    tightest = i;
                }
            }

            var reset = _windows[quotas[tightest].Key].Start + window - now;
            return new QuotaDecision(allowed, quotas[tightest].Limit, Math.Max(0, remaining[tightest]), reset, retryAfter);
        }
    }

    /// <summary>The window of <paramref name="key"/> in force now (a new one when the last has ended).</summary>
    private Window Current(string key, DateTimeOffset now, TimeSpan window)
    {
        if (!_windows.TryGetValue(key, out var current) || now >= current.Start + window)
        {
            current = new Window { Start = now };
            _windows[key] = current;
        }

        return current;
    }

    private void SweepIfDue(DateTimeOffset now, TimeSpan window)
    {
        if (++_sinceSweep < SweepEvery)
        {
            return;
        }

        _sinceSweep = 0;
        foreach (var key in _windows.Where(w => now >= w.Value.Start + window).Select(w => w.Key).ToList())
        {
            _windows.Remove(key);
        }
    }

    private sealed class Window
    {
        public DateTimeOffset Start { get; init; }

        public int Count { get; set; }
    }
}

using System.Collections.Concurrent;

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
/// Fixed-window counters shared by every instance: each window lives in the <see cref="ILimitStore"/> (PostgreSQL's
/// <c>rate_limit_buckets</c>, migration 0016, or Redis), and this process leases permits from it in small batches (<see cref="LeaseSize"/>), then
/// spends them locally, so most requests never wait for the database. Never more than the limit is leased in
/// a window, so all instances together admit at most the limit; a batch another instance leased and has not
/// spent is the most a window can fall short by (per instance). Several quotas are taken together or not at
/// all, so a request one limit refuses never uses up another's budget; the reset and <c>Retry-After</c> come
/// from the window's start as the database keeps it, the same on every instance. Written by hand: no served
/// library counts across instances in PostgreSQL, and none gives these headers; RedisRateLimiting counts per
/// instance once the limit is hit and takes one limiter per endpoint (DEPENDENCIES.md).
/// </summary>
public sealed class SharedQuotaCounters(ILimitStore store, TimeProvider time, IOptions<RateLimitingOptions> options)
{
    private const int SweepEvery = 4096;

    private readonly ConcurrentDictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private int _sinceSweep;

    /// <summary>The batch leased at once for a limit: a twentieth of it, at least 1, at most <c>RateLimiting:LeaseBatchMax</c>.</summary>
    public int LeaseSize(int limit) => Math.Clamp(limit / 20, 1, options.Value.LeaseBatchMax);

    /// <summary>Takes one permit from every quota, or none: allowed only when each has room.</summary>
    public async ValueTask<QuotaDecision> TryTakeAsync(Quota[] quotas, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        if (quotas.Length == 0)
        {
            throw new ArgumentException("at least one quota", nameof(quotas));
        }

        SweepIfDue(window);
        var leases = new Lease[quotas.Length];
        for (var i = 0; i < quotas.Length; i++)
        {
            leases[i] = _leases.GetOrAdd(quotas[i].Key, static _ => new Lease());
        }

        // The order the leases are locked in: by key, so two requests never deadlock (computed once per request).
        var lockOrder = LockOrder(quotas);
        for (var round = 0; ; round++)
        {
            for (var i = 0; i < quotas.Length; i++)
            {
                await RefillIfEmptyAsync(quotas[i], leases[i], window, cancellationToken);
            }

            // Concurrent requests may have spent the batch since: then lease again, unless the window's limit is used up
            // (bounded: under a storm of one key's requests on this instance, the last round refuses, never spins).
            if (TryDecide(quotas, leases, lockOrder, time.GetUtcNow(), out var decision))
            {
                return decision;
            }

            if (round >= 20)
            {
                return new QuotaDecision(false, quotas[0].Limit, 0, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>
    /// Takes one permit of each lease, together or not at all (the leases locked in key order, so two requests
    /// never deadlock). False when a lease ran dry meanwhile and may be refilled: the caller leases and asks again.
    /// </summary>
    private static bool TryDecide(Quota[] quotas, Lease[] leases, int[] order, DateTimeOffset now, out QuotaDecision decision)
    {
        foreach (var i in order)
        {
            Monitor.Enter(leases[i].Gate);
        }

        try
        {
            var allowed = true;
            foreach (var lease in leases)
            {
                if (lease.CanRefill(now))
                {
                    decision = default;
                    return false;
                }

                allowed &= lease.Left > 0;
            }

            if (allowed)
            {
                foreach (var lease in leases)
                {
                    lease.Left--;
                }
            }

            var tightest = 0;
            var tightestRemaining = int.MaxValue;
            var retryAfter = TimeSpan.Zero;
            for (var i = 0; i < quotas.Length; i++)
            {
                // What nobody has taken yet, plus what this instance holds and has not spent.
                var remaining = Math.Max(0, quotas[i].Limit - leases[i].Taken + leases[i].Left);
                if (remaining < tightestRemaining)
                {
                    tightest = i;
                    tightestRemaining = remaining;
                }

                if (!allowed && leases[i].Left == 0 && leases[i].WindowEnd - now > retryAfter)
                {
                    retryAfter = leases[i].WindowEnd - now;
                }
            }

            var reset = leases[tightest].WindowEnd - now;
            decision = new QuotaDecision(allowed, quotas[tightest].Limit, tightestRemaining, reset > TimeSpan.Zero ? reset : TimeSpan.Zero, retryAfter);
            return true;
        }
        finally
        {
            foreach (var i in order)
            {
                Monitor.Exit(leases[i].Gate);
            }
        }
    }

    private static readonly int[] OneQuota = [0];

    private static int[] LockOrder(Quota[] quotas)
    {
        if (quotas.Length == 1)
        {
            return OneQuota;
        }

        var order = new int[quotas.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => string.CompareOrdinal(quotas[a].Key, quotas[b].Key));
        return order;
    }

    /// <summary>
    /// Leases a batch when this instance holds no permit of the current window (one refill at a time per quota;
    /// a lease already known to be exhausted for its window is not asked again until the window ends).
    /// </summary>
    private async Task RefillIfEmptyAsync(Quota quota, Lease lease, TimeSpan window, CancellationToken cancellationToken)
    {
        if (!lease.NeedsRefill(time.GetUtcNow()))
        {
            return;
        }

        await lease.Refilling.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (!lease.NeedsRefill(now))
            {
                return;
            }

            var grant = await store.LeaseAsync(quota.Key, now, window, LeaseSize(quota.Limit), quota.Limit, cancellationToken);
            lock (lease.Gate)
            {
                // A lease of an earlier window is worthless now: its permits counted there.
                lease.Left = lease.WindowEnd == grant.WindowEnd ? lease.Left + grant.Granted : grant.Granted;
                lease.Taken = grant.Taken;
                lease.WindowEnd = grant.WindowEnd;
                lease.Exhausted = grant.Granted == 0;
            }
        }
        finally
        {
            lease.Refilling.Release();
        }
    }

    /// <summary>Drops leases of windows long over, so memory is bounded by the keys active lately.</summary>
    private void SweepIfDue(TimeSpan window)
    {
        if (Interlocked.Increment(ref _sinceSweep) % SweepEvery != 0)
        {
            return;
        }

        var before = time.GetUtcNow() - window;
        foreach (var (key, lease) in _leases)
        {
            if (lease.WindowEnd < before && lease.Refilling.CurrentCount == 1)
            {
                _leases.TryRemove(key, out _);
            }
        }
    }

    /// <summary>This instance's share of one bucket's current window.</summary>
    private sealed class Lease
    {
        public SemaphoreSlim Refilling { get; } = new(1, 1);

        /// <summary>Guards the fields below.</summary>
        public object Gate { get; } = new();

        /// <summary>Permits leased and not spent yet.</summary>
        public int Left { get; set; }

        /// <summary>What all instances had taken in the window at the last lease.</summary>
        public int Taken { get; set; }

        public DateTimeOffset WindowEnd { get; set; }

        /// <summary>The database granted nothing: the window's limit is used up (until it ends).</summary>
        public bool Exhausted { get; set; }

        public bool NeedsRefill(DateTimeOffset now)
        {
            lock (Gate)
            {
                return CanRefill(now);
            }
        }

        /// <summary>No permit of a window in force, and the database may still grant some (the caller holds <see cref="Gate"/>).</summary>
        public bool CanRefill(DateTimeOffset now) => now >= WindowEnd || (Left == 0 && !Exhausted);
    }
}

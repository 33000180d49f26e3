namespace TheOpenMoney.Api.Infrastructure.Background;

/// <summary>
/// Exponential backoff with jitter, capped: attempt <c>n</c> (from 1) waits a random time between half
/// and all of <c>min(cap, initial × 2ⁿ⁻¹)</c>. The one schedule for a failing background job, the
/// bot's retries and the delivery retries. An instance counts consecutive failures for
/// <see cref="Next"/>; <see cref="Reset"/> after a success. Not thread-safe (one loop owns one).
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan cap)
{
    private int _failures;

    /// <summary>Consecutive failures since the last <see cref="Reset"/>.</summary>
    public int Failures => _failures;

    /// <summary>Counts one more failure and returns how long to wait before the next attempt.</summary>
    public TimeSpan Next()
    {
        _failures = Math.Min(_failures + 1, int.MaxValue - 1);
        return Delay(_failures, initial, cap);
    }

    public void Reset() => _failures = 0;

    /// <summary>The wait before retrying after the <paramref name="attempt"/>-th failure (1 = the first).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan cap)
    {
        var exponential = initial.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var ceiling = Math.Min(exponential, cap.TotalMilliseconds);
#pragma warning disable CA5394 // jitter, not security
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2)));
#pragma warning restore CA5394
    }
}

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// Exponential backoff with jitter, capped: the n-th consecutive failure waits a random time
/// between half and all of <c>min(cap, initial × 2ⁿ)</c>. <see cref="Reset"/> after a success.
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan cap)
{
    private int _failures;

    public int Failures => _failures;

    public TimeSpan Next()
    {
        var exponential = initial.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 30));
        var ceiling = Math.Min(exponential, cap.TotalMilliseconds);
#pragma warning disable CA5394 // jitter, not security
        var jittered = (ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2);
#pragma warning restore CA5394
        _failures++;
        return TimeSpan.FromMilliseconds(jittered);
    }

    public void Reset() => _failures = 0;
}

using System.Collections.Concurrent;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// The system clock, counting the timers the code under test starts on it, by due time (every
/// <c>Task.Delay(…, timeProvider, …)</c> starts one). A test waits until a loop has begun a wait it can name —
/// the job runner's hour-long interval, a follower's retry interval — instead of sleeping past it: once that
/// wait has begun, nothing the loop does can happen before it ends, which proves a "nothing more happens" with
/// a condition rather than a clock.
/// </summary>
public sealed class CountingTimeProvider : TimeProvider
{
    private readonly ConcurrentDictionary<TimeSpan, int> _started = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _started.AddOrUpdate(dueTime, 1, (_, n) => n + 1);
        return base.CreateTimer(callback, state, dueTime, period);
    }

    /// <summary>How many timers were started to fire after <paramref name="dueTime"/>.</summary>
    public int Started(TimeSpan dueTime) => _started.GetValueOrDefault(dueTime);

    /// <summary>Waits (bounded) until at least <paramref name="count"/> timers of <paramref name="dueTime"/> were started.</summary>
    public Task WaitForAsync(TimeSpan dueTime, int count, string what) =>
        Eventually.WaitAsync(() => Task.FromResult(Started(dueTime)), n => n >= count, what);
}

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// A wall clock the test moves by hand. Only <see cref="GetUtcNow"/> moves: timers and timestamps stay real,
/// so background loops keep their pace while the app's idea of "now" jumps. (FakeTimeProvider from
/// Microsoft.Extensions.TimeProvider.Testing fakes timers too, which would freeze every loop's waits.)
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly object _gate = new();
    private DateTimeOffset _now = start;

    public ManualTimeProvider()
        : this(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }
}

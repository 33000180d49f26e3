namespace TheOpenMoney.Api.Infrastructure.Background;

public enum JobOutcomeKind
{
    /// <summary>Nothing more to do now: the next run is one interval after this one started.</summary>
    Idle,

    /// <summary>There is more to do: run again at once (at most <see cref="BackgroundJobOptions.MoreWorkLimit"/> runs in a row).</summary>
    MoreWork,

    /// <summary>Run again after <see cref="JobOutcome.Delay"/> (e.g. a Bot API <c>retry_after</c>).</summary>
    Wait,

    /// <summary>Nothing left to do in this process: the runner stops (e.g. a start-up step that succeeded).</summary>
    Finished,
}

/// <summary>What a background job's run asks the runner to do next. Failures are exceptions, not outcomes.</summary>
public sealed record JobOutcome
{
    private JobOutcome(JobOutcomeKind kind, TimeSpan delay)
    {
        Kind = kind;
        Delay = delay;
    }

    public JobOutcomeKind Kind { get; }

    /// <summary>For <see cref="JobOutcomeKind.Wait"/>: how long; zero otherwise.</summary>
    public TimeSpan Delay { get; }

    public static JobOutcome Idle { get; } = new(JobOutcomeKind.Idle, TimeSpan.Zero);

    public static JobOutcome MoreWork { get; } = new(JobOutcomeKind.MoreWork, TimeSpan.Zero);

    public static JobOutcome Finished { get; } = new(JobOutcomeKind.Finished, TimeSpan.Zero);

    public static JobOutcome WaitFor(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new JobOutcome(JobOutcomeKind.Wait, delay);
    }
}

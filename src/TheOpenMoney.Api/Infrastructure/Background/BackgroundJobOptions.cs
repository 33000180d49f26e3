namespace TheOpenMoney.Api.Infrastructure.Background;

/// <summary>How <see cref="JobRunner{TJob}"/> runs one job (set where the job is registered, usually from the feature's own options).</summary>
public sealed class BackgroundJobOptions
{
    /// <summary>The job's name in logs (its type name unless set).</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// Fixed rate: a run that ends <see cref="JobOutcome.Idle"/> is followed by the next one this long
    /// after it <em>started</em> (at once if it took longer; missed runs are not caught up). Zero only
    /// for a job that waits inside its run (a long poll).
    /// </summary>
    public TimeSpan Interval { get; set; }

    /// <summary>
    /// Set: only the instance holding this session advisory lock runs the job (<see cref="PostgresLeaderLock"/>).
    /// Null: every instance runs it (the job must be safe to run concurrently, e.g. <c>SKIP LOCKED</c>).
    /// </summary>
    public long? LeaderLockKey { get; set; }

    /// <summary>How often an instance that is not the leader tries to become it (unset: <see cref="Interval"/>).</summary>
    public TimeSpan? FollowerRetryInterval { get; set; }

    /// <summary>The wait after a first failure, doubled per consecutive failure with 50–100 % jitter (unset: <see cref="Interval"/>, at least 1 s).</summary>
    public TimeSpan? FailureBackoff { get; set; }

    /// <summary>The cap of that backoff (unset: the larger of the first wait and one minute).</summary>
    public TimeSpan? FailureBackoffCap { get; set; }

    /// <summary>Runs in a row on <see cref="JobOutcome.MoreWork"/>; then the runner waits one interval.</summary>
    public int MoreWorkLimit { get; set; } = 100;

    /// <summary>How long stopping waits for a run to notice cancellation before the runner gives up on it (and releases leadership).</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal TimeSpan EffectiveFailureBackoff => FailureBackoff ?? (Interval >= TimeSpan.FromSeconds(1) ? Interval : TimeSpan.FromSeconds(1));

    internal TimeSpan EffectiveFailureBackoffCap =>
        FailureBackoffCap ?? (EffectiveFailureBackoff > TimeSpan.FromMinutes(1) ? EffectiveFailureBackoff : TimeSpan.FromMinutes(1));

    internal TimeSpan EffectiveFollowerRetryInterval => FollowerRetryInterval ?? Interval;

    /// <summary>Why these settings cannot work, or null.</summary>
    internal string? Problem()
    {
        if (Interval < TimeSpan.Zero || StopTimeout <= TimeSpan.Zero)
        {
            return "the interval must not be negative and the stop timeout must be positive";
        }

        if (EffectiveFailureBackoff <= TimeSpan.Zero || EffectiveFailureBackoffCap < EffectiveFailureBackoff)
        {
            return "the failure backoff must be positive and at most its cap";
        }

        if (LeaderLockKey is not null && EffectiveFollowerRetryInterval <= TimeSpan.Zero)
        {
            return "a leader job needs a positive follower retry interval";
        }

        return MoreWorkLimit < 1 ? "the more-work limit must be at least 1" : null;
    }
}

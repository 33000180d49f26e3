namespace TheOpenMoney.Simulators;

/// <summary>
/// How far the simulated processor is behind the chain: a deposit is visible once its time is at or before
/// now − lag, and <c>/v1/system/sync</c> reports the same cut. Not thread-safe: <see cref="ProcessorState"/>
/// reads and sets the lag under its lock (the clock itself needs none).
/// </summary>
internal sealed class SyncLag(TimeProvider time, int syncThresholdSeconds)
{
    /// <summary>The lag in seconds, &gt;= 0 (the caller checks).</summary>
    public long Seconds { get; set; }

    /// <summary>Current unix time in seconds.</summary>
    public long NowUnixSeconds => time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>The latest deposit time the processor sees: now − lag.</summary>
    public long VisibleUntil() => NowUnixSeconds - Seconds;

    /// <summary>is_synced = lag &lt; the threshold; last_block_gen_utime = now − lag.</summary>
    public SyncStatus Status() => new(Seconds < syncThresholdSeconds, VisibleUntil());
}

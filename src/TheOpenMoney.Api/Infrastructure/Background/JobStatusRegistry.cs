using System.Collections.Concurrent;

namespace TheOpenMoney.Api.Infrastructure.Background;

/// <summary>What one background job last did, for health: never an exception's text, only its <see cref="FailureKind"/>.</summary>
public sealed record JobStatus(
    bool IsLeader,
    DateTimeOffset? LastSuccessAt,
    DateTimeOffset? LastFailureAt,
    string? LastFailureKind,
    bool IsFailing)
{
    public static JobStatus None { get; } = new(false, null, null, null, false);

    /// <summary>The kind of the last failure while no run has succeeded since; null once one has.</summary>
    public string? CurrentFailureKind => IsFailing ? LastFailureKind : null;
}

/// <summary>Every background job's <see cref="JobStatus"/>, written by <see cref="JobRunner{TJob}"/> and read by health checks.</summary>
public sealed class JobStatusRegistry
{
    private readonly ConcurrentDictionary<Type, JobStatus> _jobs = new();

    /// <summary>The status of <typeparamref name="TJob"/> (<see cref="JobStatus.None"/> before its first run, or when it is not registered).</summary>
    public JobStatus Get<TJob>()
        where TJob : IBackgroundJob => _jobs.GetValueOrDefault(typeof(TJob), JobStatus.None);

    internal void Succeeded(Type job, DateTimeOffset at) =>
        _jobs.AddOrUpdate(job, _ => JobStatus.None with { LastSuccessAt = at }, (_, s) => s with { LastSuccessAt = at, IsFailing = false });

    internal void Failed(Type job, DateTimeOffset at, string kind) =>
        _jobs.AddOrUpdate(
            job,
            _ => JobStatus.None with { LastFailureAt = at, LastFailureKind = kind, IsFailing = true },
            (_, s) => s with { LastFailureAt = at, LastFailureKind = kind, IsFailing = true });

    internal void Leader(Type job, bool isLeader) =>
        _jobs.AddOrUpdate(job, _ => JobStatus.None with { IsLeader = isLeader }, (_, s) => s with { IsLeader = isLeader });
}

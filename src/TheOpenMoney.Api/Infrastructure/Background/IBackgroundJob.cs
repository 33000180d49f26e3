namespace TheOpenMoney.Api.Infrastructure.Background;

/// <summary>
/// One piece of background work, run again and again by <see cref="JobRunner{TJob}"/> (registered with
/// <see cref="BackgroundJobSetup.AddBackgroundJob{TJob}(IServiceCollection, Action{BackgroundJobOptions, IServiceProvider})"/>).
/// The job is resolved from a fresh DI scope for every run, so it may take scoped services (a
/// <c>DbContext</c>) in its constructor. It says what should happen next through its
/// <see cref="JobOutcome"/>; a failure is an exception (the runner backs off and records its
/// <see cref="FailureKind"/>). The token is cancelled when the host stops: pass it to every call.
/// </summary>
public interface IBackgroundJob
{
    Task<JobOutcome> RunAsync(CancellationToken cancellationToken);
}

using TheOpenMoney.Api.Infrastructure.Background;

namespace TheOpenMoney.Tests.Support;

public static class Jobs
{
    /// <summary>
    /// One run of <typeparamref name="TJob"/> through its real <see cref="JobRunner{TJob}"/>, in turn with
    /// its background loop (leadership, a fresh scope). False when another instance leads; the job's failure is thrown.
    /// </summary>
    public static Task<bool> RunOnceAsync<TJob>(IServiceProvider services)
        where TJob : class, IBackgroundJob =>
        services.GetRequiredService<JobRunner<TJob>>().RunOnceAsync(CancellationToken.None);
}

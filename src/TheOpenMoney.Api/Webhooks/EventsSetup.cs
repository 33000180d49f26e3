namespace TheOpenMoney.Api.Webhooks;

internal static class EventsSetup
{
    /// <summary>The event log: options, the dispatcher (numbers events, queues deliveries; one leader) and the retention sweep.</summary>
    public static IServiceCollection AddEventLog(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EventOptions>()
            .Bind(configuration.GetSection(EventOptions.Section))
            .Validate(o => o.EventRetention >= TimeSpan.FromDays(30), "Webhooks:EventRetention must be at least 30 days")
            .Validate(o => o.DispatchInterval > TimeSpan.Zero && o.DispatchBatchSize > 0, "Webhooks:DispatchInterval and :DispatchBatchSize must be positive")
            .ValidateOnStart();
        services.AddSingleton<EventMetrics>();
        services.AddBackgroundJob<EventDispatcher>((job, sp) =>
        {
            job.Interval = sp.GetRequiredService<IOptions<EventOptions>>().Value.DispatchInterval;
            job.LeaderLockKey = EventDispatcher.LeaderLockKey;
            job.FailureBackoff = TimeSpan.FromSeconds(1);
        });
        services.AddBackgroundJob<EventRetentionSweeper>(job => job.Interval = TimeSpan.FromHours(1));
        return services;
    }
}

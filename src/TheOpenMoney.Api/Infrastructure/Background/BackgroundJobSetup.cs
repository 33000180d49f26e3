using Microsoft.Extensions.DependencyInjection.Extensions;

namespace TheOpenMoney.Api.Infrastructure.Background;

public static class BackgroundJobSetup
{
    /// <summary>
    /// Runs <typeparamref name="TJob"/> in the background on a <see cref="JobRunner{TJob}"/> (a hosted
    /// service, also resolvable for <see cref="JobRunner{TJob}.RunOnceAsync"/>); the job itself is
    /// scoped, resolved afresh for every run. <paramref name="configure"/> sets its
    /// <see cref="BackgroundJobOptions"/>, usually from the feature's options; they are validated at start.
    /// </summary>
    public static IServiceCollection AddBackgroundJob<TJob>(this IServiceCollection services, Action<BackgroundJobOptions, IServiceProvider> configure)
        where TJob : class, IBackgroundJob
    {
        services.TryAddSingleton<JobStatusRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackgroundJobOptions>, BackgroundJobOptionsValidator>());
        services.TryAddScoped<TJob>();
        services.AddOptions<BackgroundJobOptions>(JobRunner<TJob>.OptionsName)
            .Configure<IServiceProvider>((options, provider) =>
            {
                options.Name = typeof(TJob).Name;
                configure(options, provider);
            })
            .ValidateOnStart();
        services.AddSingleton<JobRunner<TJob>>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner<TJob>>());
        return services;
    }

    /// <inheritdoc cref="AddBackgroundJob{TJob}(IServiceCollection, Action{BackgroundJobOptions, IServiceProvider})"/>
    public static IServiceCollection AddBackgroundJob<TJob>(this IServiceCollection services, Action<BackgroundJobOptions> configure)
        where TJob : class, IBackgroundJob =>
        services.AddBackgroundJob<TJob>((options, _) => configure(options));

    private sealed class BackgroundJobOptionsValidator : IValidateOptions<BackgroundJobOptions>
    {
        public ValidateOptionsResult Validate(string? name, BackgroundJobOptions options) =>
            options.Problem() is { } problem ? ValidateOptionsResult.Fail($"Background job {options.Name}: {problem}") : ValidateOptionsResult.Success;
    }
}

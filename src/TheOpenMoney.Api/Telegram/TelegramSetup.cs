using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Telegram.Bot;
using TheOpenMoney.Api.Health;

namespace TheOpenMoney.Api.Telegram;

public static partial class TelegramSetup
{
    /// <summary>
    /// The Telegram bot: options (validated at start), the Bot API client (Telegram.Bot's, behind
    /// <see cref="RetryingBotClient"/>), the command handler, the background jobs for
    /// <c>Telegram:Mode</c> (start-up, and the update poller in Polling mode, and the hourly sweep of
    /// handled update ids) and the <c>bot</c> health component. With no token no job runs (a warning
    /// says so when a mode was asked for), the webhook route is 404 and health says "disabled".
    /// </summary>
    public static IServiceCollection AddTelegramBot(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<ITelegramMessenger, TelegramMessenger>();
        services.AddOptions<TelegramOptions>()
            .Bind(configuration.GetSection(TelegramOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelegramOptions>, TelegramOptionsValidator>();
        services.AddSingleton<BotStatus>();
        services.AddSingleton<KeyCommandLimiter>();
        // No logging handlers on this client: the token is part of every request URL. The one
        // TelegramBotClient keeps its HttpClient for the app's life, so connections are recycled by the
        // handler (PooledConnectionLifetime, for DNS changes) instead of by the factory.
        services.AddHttpClient(RetryingBotClient.HttpClientName)
            .ConfigureHttpClient((sp, client) => RetryingBotClient.Configure(client, sp.GetRequiredService<IOptions<TelegramOptions>>().Value))
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .AddResilience<TelegramOptions>(o => o.Http);
        services.AddSingleton<ITelegramBotClient, RetryingBotClient>();
        services.AddScoped<BotCommandHandler>();
        services.AddScoped<BotUpdateProcessor>();
        services.AddSingleton<Webhooks.IPartnerNotifier, TelegramPartnerNotifier>();
        services.TryAddSingleton<JobStatusRegistry>();
        var settings = configuration.GetSection(TelegramOptions.Section).Get<TelegramOptions>() ?? new TelegramOptions();
        if (settings.EffectiveMode == TelegramMode.Disabled)
        {
            if (settings.Mode is TelegramMode.Polling or TelegramMode.Webhook)
            {
                services.AddHostedService<NoTokenWarning>();
            }
        }
        else
        {
            AddJobs(services, settings.EffectiveMode);
        }

        services.AddHealthChecks().AddCheck<BotHealthCheck>(HealthComponents.Bot, failureStatus: HealthStatus.Degraded);
        return services;
    }

    private static void AddJobs(IServiceCollection services, TelegramMode mode)
    {
        services.AddBackgroundJob<TelegramBotStartUp>((job, sp) => Retried(job, Settings(sp)));
        services.AddBackgroundJob<TelegramUpdateSweeper>(job => job.Interval = TelegramUpdateSweeper.Interval);
        if (mode == TelegramMode.Polling)
        {
            services.AddSingleton<BotUpdateOffset>();
            services.AddBackgroundJob<TelegramUpdatePoller>((job, sp) =>
            {
                var settings = Settings(sp);
                Retried(job, settings);
                // The long poll is the wait between runs.
                job.Interval = TimeSpan.Zero;
                job.LeaderLockKey = TelegramUpdatePoller.LeaderLockKey;
                job.FollowerRetryInterval = settings.LeaderRetryInterval;
            });
        }
    }

    private static void Retried(BackgroundJobOptions job, TelegramOptions settings)
    {
        job.Interval = settings.RetryBaseDelay;
        job.FailureBackoff = settings.RetryBaseDelay;
        job.FailureBackoffCap = settings.MaxRetryDelay;
    }

    private static TelegramOptions Settings(IServiceProvider services) => services.GetRequiredService<IOptions<TelegramOptions>>().Value;

    /// <summary>A mode was asked for without a token: said once at start, and nothing runs.</summary>
    private sealed partial class NoTokenWarning(IOptions<TelegramOptions> options, ILogger<NoTokenWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (options.Value is { Mode: { } mode, EffectiveMode: TelegramMode.Disabled })
            {
                LogNoToken(logger, mode);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram:Mode is {Mode} but Telegram:BotToken is not set: the bot is disabled")]
        private static partial void LogNoToken(ILogger logger, TelegramMode mode);
    }

    private sealed class TelegramOptionsValidator : IValidateOptions<TelegramOptions>
    {
        public ValidateOptionsResult Validate(string? name, TelegramOptions options) =>
            options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Infrastructure.Http;
using Telegram.Bot;
using TheOpenMoney.Api.Health;

namespace TheOpenMoney.Api.Telegram;

public static class TelegramSetup
{
    /// <summary>
    /// The Telegram bot: options (validated at start), the Bot API client (Telegram.Bot's, behind
    /// <see cref="RetryingBotClient"/>), the command handler, the receiver for <c>Telegram:Mode</c> and
    /// the <c>bot</c> health component. Always registered; with no token the receiver does nothing, the
    /// webhook route is 404 and health says "disabled".
    /// </summary>
    public static IServiceCollection AddTelegramBot(this IServiceCollection services, IConfiguration configuration)
    {
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
        services.AddHostedService<TelegramBotService>();
        services.AddHealthChecks().AddCheck<BotHealthCheck>(HealthComponents.Bot, failureStatus: HealthStatus.Degraded);
        return services;
    }

    private sealed class TelegramOptionsValidator : IValidateOptions<TelegramOptions>
    {
        public ValidateOptionsResult Validate(string? name, TelegramOptions options) =>
            options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}

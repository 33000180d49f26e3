using TheOpenMoney.Api.Health;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.TonRamp;

public static class TonRampSetup
{
    /// <summary>
    /// TonRamp's options, limiters and health; with <c>TonRamp:BaseUrl</c> and <c>TonRamp:MerchantId</c>
    /// its client, the gateway and the status refresher (a background job); without them a gateway that refuses.
    /// </summary>
    public static IServiceCollection AddTonRamp(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(TonRampOptions.Section);
        services.AddOptions<TonRampOptions>()
            .Bind(section)
            .Validate(o => !o.Enabled || Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out _), "TonRamp:BaseUrl must be an absolute URL")
            .Validate(o => o.MerchantId is null || o.MerchantId.Length <= 32, "TonRamp:MerchantId is at most 32 characters")
            .Validate(o => o.GeneratePerMinute > 0 && o.StatusPerMinute > 0, "TonRamp limits must be positive")
            .Validate(o => o.StatusRefreshInterval > TimeSpan.Zero, "TonRamp:StatusRefreshInterval must be positive")
            .ValidateOnStart();
        services.AddSingleton<TonRampLimiters>();
        services.AddHealthChecks().AddCheck<TonRampHealthCheck>(HealthComponents.TonRamp);
        if (string.IsNullOrWhiteSpace(section["BaseUrl"]) || string.IsNullOrWhiteSpace(section["MerchantId"]))
        {
            services.AddSingleton<ITonRampGateway, UnconfiguredTonRamp>();
            return services;
        }

        services.AddHttpClient<TonRampClient>((sp, client) => TonRampClient.Configure(client, sp.GetRequiredService<IOptions<TonRampOptions>>().Value))
            .AddResilience<TonRampOptions>(o => o.Http)
            .AddHttpMessageHandler<TonRampRateHandler>();
        services.AddTransient<TonRampRateHandler>();
        services.AddScoped<ITonRampGateway, TonRampGateway>();
        services.AddBackgroundJob<TonRampStatusRefresher>((job, sp) =>
        {
            job.Interval = sp.GetRequiredService<IOptions<TonRampOptions>>().Value.StatusRefreshInterval;
            job.LeaderLockKey = TonRampStatusRefresher.LeaderLockKey;
        });
        return services;
    }
}

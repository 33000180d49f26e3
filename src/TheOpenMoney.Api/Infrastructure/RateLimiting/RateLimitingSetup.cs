using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>
/// The per-key limits (<see cref="PartnerRateLimitMiddleware"/>), the failed-authentication limit per
/// client address (<see cref="FailedAuthLimiter"/>), where they are counted for every instance (PostgreSQL, or
/// Redis when <c>Redis:Configuration</c> is set: <see cref="ILimitStore"/>), and where the client address comes from:
/// <c>X-Forwarded-For</c> is honoured only from the proxies in <c>ForwardedHeaders:KnownProxies</c>
/// (addresses) and <c>ForwardedHeaders:KnownNetworks</c> (CIDR), never by default.
/// </summary>
public static class RateLimitingSetup
{
    public static IServiceCollection AddApiRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitingOptions>()
            .Bind(configuration.GetSection(RateLimitingOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<RateLimitMetrics>();
        services.AddOptions<RedisOptions>().Bind(configuration.GetSection(RedisOptions.Section));
        if (configuration.GetSection(RedisOptions.Section)[nameof(RedisOptions.Configuration)] is { Length: > 0 } redis)
        {
            // Connects in the background and reconnects by itself; every call is bounded (2 s), so a Redis outage is a 503, never a hang.
            services.AddSingleton<StackExchange.Redis.IConnectionMultiplexer>(_ =>
            {
                var settings = StackExchange.Redis.ConfigurationOptions.Parse(redis);
                settings.AbortOnConnectFail = false;
                settings.ConnectTimeout = Math.Min(settings.ConnectTimeout, 2000);
                settings.AsyncTimeout = Math.Min(settings.AsyncTimeout, 2000);
                settings.SyncTimeout = Math.Min(settings.SyncTimeout, 2000);
                return StackExchange.Redis.ConnectionMultiplexer.Connect(settings);
            });
            services.AddSingleton<ILimitStore, RedisLimitStore>();
        }
        else
        {
            services.AddSingleton<ILimitStore, PostgresLimitStore>();
        }

        services.AddSingleton<SharedQuotaCounters>();
        services.AddSingleton<FailedAuthLimiter>();
        services.AddBackgroundJob<RateLimitSweeper>(job => job.Interval = TimeSpan.FromMinutes(1));
        var proxies = ListSetting(configuration.GetSection("ForwardedHeaders:KnownProxies")).Select(IPAddress.Parse).ToList();
        var networks = ListSetting(configuration.GetSection("ForwardedHeaders:KnownNetworks")).Select(System.Net.IPNetwork.Parse).ToList();
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            // The framework trusts loopback by default, and everyone when both lists are empty: here only what
            // is configured is trusted, and with nothing configured the header is not read at all.
            options.ForwardedHeaders = proxies.Count + networks.Count > 0 ? ForwardedHeaders.XForwardedFor : ForwardedHeaders.None;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // the obsolete list still holds the loopback default and is still consulted
            options.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            options.ForwardLimit = null;
            proxies.ForEach(options.KnownProxies.Add);
            networks.ForEach(options.KnownIPNetworks.Add);
        });
        return services;
    }

    public static WebApplication UseClientAddress(this WebApplication app)
    {
        app.UseForwardedHeaders();
        return app;
    }

    public static WebApplication UsePartnerRateLimits(this WebApplication app)
    {
        app.UseMiddleware<PartnerRateLimitMiddleware>();
        return app;
    }

    /// <summary>A list setting given as an array (<c>X__0</c>, <c>X__1</c>) or as one comma-separated value.</summary>
    private static IEnumerable<string> ListSetting(IConfigurationSection section) =>
        (section.Value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(section.GetChildren().Select(c => c.Value?.Trim()).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!));
}

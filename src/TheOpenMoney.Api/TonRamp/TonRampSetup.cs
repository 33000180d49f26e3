using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using TheOpenMoney.Api.Health;
using TheOpenMoney.Api.Infrastructure.Data;
using TheOpenMoney.Api.Infrastructure.Http;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.TonRamp;

/// <summary>Makes TonRamp payment links for an order, or refuses with 503 <c>PAYMENT_PROVIDER_UNAVAILABLE</c>.</summary>
public interface ITonRampGateway
{
    Task<TonRampLinks> CreateLinksAsync(string wallet, long priceNanoton, string txId, CancellationToken cancellationToken);
}

internal sealed class TonRampGateway(TonRampClient client) : ITonRampGateway
{
    public Task<TonRampLinks> CreateLinksAsync(string wallet, long priceNanoton, string txId, CancellationToken cancellationToken) =>
        client.GenerateAsync(wallet, priceNanoton, txId, cancellationToken);
}

/// <summary>TonRamp is not configured here (<c>TonRamp:BaseUrl</c>, <c>TonRamp:MerchantId</c>).</summary>
internal sealed class UnconfiguredTonRamp : ITonRampGateway
{
    public Task<TonRampLinks> CreateLinksAsync(string wallet, long priceNanoton, string txId, CancellationToken cancellationToken) =>
        throw TonRampClient.Unavailable("TonRamp is not configured on this server; use ton_memo or balance", 60);
}

public static class TonRampSetup
{
    public static IServiceCollection AddTonRamp(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(TonRampOptions.Section);
        services.AddOptions<TonRampOptions>()
            .Bind(section)
            .Validate(o => !o.Enabled || Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out _), "TonRamp:BaseUrl must be an absolute URL")
            .Validate(o => o.MerchantId is null || o.MerchantId.Length <= 32, "TonRamp:MerchantId is at most 32 characters")
            .Validate(o => o.GeneratePerMinute > 0 && o.StatusPerMinute > 0, "TonRamp limits must be positive")
            .ValidateOnStart();
        services.AddSingleton<TonRampLimiters>();
        services.AddHealthChecks().AddCheck<TonRampHealthCheck>(HealthComponents.TonRamp);
        if (string.IsNullOrWhiteSpace(section["BaseUrl"]) || string.IsNullOrWhiteSpace(section["MerchantId"]))
        {
            services.AddSingleton<ITonRampGateway, UnconfiguredTonRamp>();
            return services;
        }

        services.AddHttpClient<TonRampClient>((sp, client) => TonRampClient.Configure(client, sp.GetRequiredService<IOptions<TonRampOptions>>().Value))
            .AddResilience<TonRampOptions>(o => o.Http);
        services.AddScoped<ITonRampGateway, TonRampGateway>();
        services.AddSingleton<TonRampStatusRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<TonRampStatusRefresher>());
        return services;
    }
}

/// <summary>TonRamp: configured or not, and how much of each rate limit this instance is using.</summary>
public sealed class TonRampHealthCheck(IOptions<TonRampOptions> options, TonRampLimiters limiters) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var data = new Dictionary<string, object> { ["configured"] = settings.Enabled };
        if (settings.Enabled)
        {
            data["generate_used_last_minute"] = limiters.Generate.InUse;
            data["generate_limit_per_minute"] = settings.GeneratePerMinute;
            data["status_used_last_minute"] = limiters.Status.InUse;
            data["status_limit_per_minute"] = settings.StatusPerMinute;
        }

        return Task.FromResult(HealthCheckResult.Healthy(data: data));
    }
}

/// <summary>
/// Refreshes TonRamp's status of open TonRamp orders (the TON itself is matched by memo like any
/// <c>ton_memo</c> order). One instance at a time (advisory lock), and never above TonRamp's status limit.
/// </summary>
public sealed partial class TonRampStatusRefresher(
    IServiceScopeFactory scopes,
    NpgsqlDataSource dataSource,
    IOptions<TonRampOptions> options,
    TimeProvider time,
    ILogger<TonRampStatusRefresher> logger) : BackgroundService
{
    private const long LockKey = 0x544F4D2D5452414D; // "TOM-TRAM"

    /// <summary>One pass over the open TonRamp orders; returns how many were refreshed.</summary>
    public async Task<int> RefreshOnceAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockKey})", connection))
        {
            if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
            {
                await connection.DisposeAsync();
                return 0;
            }
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var open = await services.GetRequiredService<ReadOnlyDbContext>().Orders
                .Where(o => o.PaymentMethod == PaymentMethod.Tonramp && o.Status == OrderStatus.PendingPayment)
                .OrderBy(o => o.TonrampCheckedAt == null ? 0 : 1).ThenBy(o => o.TonrampCheckedAt).ThenBy(o => o.Id)
                .Take(options.Value.StatusPerMinute)
                .Select(o => new { o.Id, o.PaymentMemo })
                .ToListAsync(cancellationToken);
            var client = services.GetRequiredService<TonRampClient>();
            var lifecycle = services.GetRequiredService<OrderLifecycle>();
            foreach (var order in open)
            {
                await lifecycle.RecordTonRampStatusAsync(order.Id, await client.StatusAsync(order.PaymentMemo, cancellationToken), cancellationToken);
            }

            return open.Count;
        }
        finally
        {
            await Infrastructure.Data.AdvisoryLocks.ReleaseAsync(connection, LockKey);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.StatusRefreshInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RefreshOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing TonRamp statuses failed; retrying next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

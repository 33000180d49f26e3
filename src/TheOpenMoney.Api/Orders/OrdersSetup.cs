using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure.Background;
using TheOpenMoney.Api.Infrastructure.Idempotency;

namespace TheOpenMoney.Api.Orders;

public static class OrdersSetup
{
    /// <summary>Orders, the balance ledger, idempotency and payment addresses.</summary>
    public static IServiceCollection AddOrders(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OrderOptions>()
            .Bind(configuration.GetSection(OrderOptions.Section))
            .Validate(o => o.Ttl > TimeSpan.Zero, "Orders:Ttl must be positive")
            .ValidateOnStart();
        services.AddOptions<IdempotencyOptions>()
            .Bind(configuration.GetSection(IdempotencyOptions.Section))
            .Validate(o => o.Retention >= TimeSpan.FromHours(24), "Idempotency:Retention must be at least 24 hours")
            .Validate(o => o.SweepInterval > TimeSpan.Zero, "Idempotency:SweepInterval must be positive")
            .ValidateOnStart();
        services.AddSingleton<OrderMetrics>();
        services.AddScoped<IdempotencyService>();
        services.AddScoped<BalanceLedger>();
        services.AddScoped<OrderService>();
        services.AddScoped<OrderLifecycle>();
        services.AddBackgroundJob<IdempotencySweeper>((job, sp) =>
            job.Interval = sp.GetRequiredService<IOptions<IdempotencyOptions>>().Value.SweepInterval);
        return services;
    }
}

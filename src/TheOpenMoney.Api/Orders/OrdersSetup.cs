using TheOpenMoney.Api.Infrastructure.Cli;
using TheOpenMoney.Api.Balance;
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
        services.AddIdempotency(configuration);
        services.AddSingleton<OrderMetrics>();
        services.AddScoped<BalanceLedger>();
        services.AddOperatorCommand<BalanceCreditCommand>();
        services.AddScoped<OrderService>();
        services.AddScoped<OrderLifecycle>();
        return services;
    }
}

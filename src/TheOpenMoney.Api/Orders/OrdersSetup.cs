using TheOpenMoney.Api.Infrastructure.Idempotency;

namespace TheOpenMoney.Api.Orders;

public static class OrdersSetup
{
    /// <summary>Orders: the service, the state machine's owner, metrics, idempotency, and the order routes' examples.</summary>
    public static IServiceCollection AddOrders(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OrderOptions>()
            .Bind(configuration.GetSection(OrderOptions.Section))
            .Validate(o => o.Ttl > TimeSpan.Zero, "Orders:Ttl must be positive")
            .Validate(o => o.RenderCacheSize is >= 0 and <= 1_000_000, "Orders:RenderCacheSize must be 0 to 1,000,000")
            .ValidateOnStart();
        services.AddIdempotency(configuration);
        services.AddSingleton<OrderMetrics>();
        services.AddSingleton<RenderedOrders>();
        services.AddContractExamples<OrderContractExamples>();
        services.AddScoped<OrderService>();
        // Stateless (a data source and the rendered orders, both singletons): one for the process, not one per request.
        services.AddSingleton<OrderReads>();
        services.AddScoped<OrderLifecycle>();
        return services;
    }
}

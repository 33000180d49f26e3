namespace TheOpenMoney.Api.Fulfillment;

public static class FulfillmentSetup
{
    /// <summary>The supplier (<c>Supplier:Mode</c>: Simulated or Http) and the fulfillment worker (a background job unless <c>Fulfillment:Enabled</c> is false).</summary>
    public static IServiceCollection AddFulfillment(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(SupplierOptions.Section);
        services.AddOptions<SupplierOptions>()
            .Bind(section)
            .Validate(o => o.Mode is "Simulated" or "Http", "Supplier:Mode must be Simulated or Http")
            .Validate(o => o.Mode != "Http" || Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out _), "Supplier:BaseUrl is required in Http mode")
            .ValidateOnStart();
        services.AddOptions<FulfillmentOptions>()
            .Bind(configuration.GetSection(FulfillmentOptions.Section))
            .Validate(o => o.MaxAttempts >= 1 && o.BatchSize >= 1 && o.Lease > TimeSpan.Zero && o.PollInterval > TimeSpan.Zero, "Fulfillment settings are invalid")
            .ValidateOnStart();
        if (section["Mode"] == "Http")
        {
            services.AddHttpClient<ISupplier, HttpSupplier>((sp, client) =>
                    HttpSupplier.Configure(client, sp.GetRequiredService<IOptions<SupplierOptions>>().Value))
                .AddResilience<SupplierOptions>(o => o.Http);
        }
        else
        {
            services.AddSingleton<ISupplier, SimulatedSupplier>();
        }

        // The worker can always be resolved (a scope's service); it runs in the background unless Fulfillment:Enabled is false.
        services.AddScoped<FulfillmentWorker>();
        if (configuration.GetSection(FulfillmentOptions.Section).GetValue(nameof(FulfillmentOptions.Enabled), true))
        {
            services.AddBackgroundJob<FulfillmentWorker>((job, sp) =>
                job.Interval = sp.GetRequiredService<IOptions<FulfillmentOptions>>().Value.PollInterval);
        }

        services.AddHealthChecks().AddCheck<SupplierHealthCheck>(Health.HealthComponents.Supplier);
        return services;
    }
}


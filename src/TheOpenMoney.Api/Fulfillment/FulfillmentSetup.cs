using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Infrastructure.Background;
using TheOpenMoney.Api.Infrastructure.Data;
using TheOpenMoney.Api.Infrastructure.Http;
using TheOpenMoney.Api.Orders;

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

/// <summary>The supplier (mode; reachable for Http) and the delivery queue (waiting, oldest paid order).</summary>
public sealed class SupplierHealthCheck(
    IOptions<SupplierOptions> options,
    IHttpClientFactory httpClients,
    AppDbContext db,
    TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var data = new Dictionary<string, object>
        {
            ["mode"] = settings.Mode,
            ["waiting"] = await db.Orders.CountAsync(o => o.Status == OrderStatus.Paid || o.Status == OrderStatus.Processing, cancellationToken),
        };
        var oldest = await db.Orders.Where(o => o.Status == OrderStatus.Paid || o.Status == OrderStatus.Processing)
            .OrderBy(o => o.PaidAt).Select(o => o.PaidAt).FirstOrDefaultAsync(cancellationToken);
        if (oldest is { } paidAt)
        {
            data["oldest_waiting_seconds"] = Math.Max(0, (long)(time.GetUtcNow() - paidAt).TotalSeconds);
        }

        if (settings.Mode != "Http")
        {
            return HealthCheckResult.Healthy(data: data);
        }

        try
        {
            using var client = httpClients.CreateClient();
            client.Timeout = Health.HealthSetup.CheckTimeout / 2;
            using var response = await client.GetAsync(new Uri(new Uri(settings.BaseUrl!.TrimEnd('/') + "/"), "v1/health"), cancellationToken);
            data["reachable"] = response.IsSuccessStatusCode;
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy(data: data)
                : HealthCheckResult.Degraded($"supplier answered {(int)response.StatusCode}", data: data);
        }
        catch (Exception ex) when (HttpFailures.IsTransient(ex))
        {
            data["reachable"] = false;
            return HealthCheckResult.Degraded("supplier unreachable", data: data);
        }
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Fulfillment;

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

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.Fulfillment;

/// <summary>The supplier (mode; reachable for Http) and the delivery queue (waiting, oldest paid order).</summary>
/// <remarks>
/// One plain SQL statement, not EF: the first health request after a start must fit in its check's 1.5 s
/// bound, and building EF's model and compiling two queries on a cold process did not always (seen as
/// <c>"supplier": {"status": "down", "error": "timeout"}</c> on a loaded machine).
/// </remarks>
public sealed class SupplierHealthCheck(
    IOptions<SupplierOptions> options,
    IHttpClientFactory httpClients,
    NpgsqlDataSource dataSource,
    TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        await using var command = dataSource.CreateCommand(
            "SELECT count(*), min(paid_at) FROM orders WHERE status IN ('paid', 'processing')");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var data = new Dictionary<string, object>
        {
            ["mode"] = settings.Mode,
            ["waiting"] = (int)reader.GetInt64(0),
        };
        if (!reader.IsDBNull(1))
        {
            data["oldest_waiting_seconds"] = Math.Max(0, (long)(time.GetUtcNow() - reader.GetFieldValue<DateTimeOffset>(1)).TotalSeconds);
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

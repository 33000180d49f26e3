using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.Health;

/// <summary>The database answers a trivial query within the probe's timeout.</summary>
public sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(HealthSetup.CheckTimeout - TimeSpan.FromMilliseconds(100));
            await using var command = dataSource.CreateCommand("SELECT 1");
            // WaitAsync: the answer is not held up by Npgsql's own attempt to cancel a command on a frozen server.
            await command.ExecuteScalarAsync(timeout.Token).WaitAsync(timeout.Token);
            return HealthCheckResult.Healthy(data: new Dictionary<string, object>
            {
                ["latency_ms"] = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1),
            });
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy("database unreachable");
        }
    }
}

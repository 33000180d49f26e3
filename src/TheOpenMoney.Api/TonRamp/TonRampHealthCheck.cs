using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.TonRamp;

/// <summary>TonRamp: configured or not, and how much of each rate limit all instances together are using.</summary>
public sealed class TonRampHealthCheck(IOptions<TonRampOptions> options, TonRampLimiters limiters) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var data = new Dictionary<string, object> { ["configured"] = settings.Enabled };
        if (settings.Enabled)
        {
            data["generate_limit_per_minute"] = settings.GeneratePerMinute;
            data["status_limit_per_minute"] = settings.StatusPerMinute;
            try
            {
                data["generate_used_last_minute"] = await limiters.Generate.InUseAsync(cancellationToken);
                data["status_used_last_minute"] = await limiters.Status.InUseAsync(cancellationToken);
            }
            catch (Exception ex) when (DatabaseFailures.IsUnavailable(ex))
            {
                // The database component says it is down; TonRamp itself is no less configured for it.
            }
        }

        return HealthCheckResult.Healthy(data: data);
    }
}

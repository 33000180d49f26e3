using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.TonRamp;

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

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.Health;

public static class HealthSetup
{
    /// <summary>
    /// How long one component's check may take. Checks run in parallel and <c>GET /health</c> answers
    /// within <see cref="HealthController.AnswerWithin"/> in every state: a database that does not
    /// answer (down or frozen) is reported, not waited for.
    /// </summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromMilliseconds(1500);

    /// <summary>The database check, and every component's check bounded by <see cref="CheckTimeout"/>.</summary>
    public static IServiceCollection AddApiHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>(HealthComponents.Database);
        services.AddContractExamples<HealthContractExamples>();
        services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations)
            {
                registration.Timeout = CheckTimeout;
            }
        });
        return services;
    }
}

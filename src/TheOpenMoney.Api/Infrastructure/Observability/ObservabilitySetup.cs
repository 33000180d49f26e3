using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace TheOpenMoney.Api.Infrastructure.Observability;

/// <summary>
/// OpenTelemetry: the <c>TheOpenMoney.*</c> meters with request, HttpClient, Npgsql and runtime metrics,
/// scraped as Prometheus text from <c>/metrics</c> on the management port only (<see cref="ManagementServer"/>),
/// and exported (metrics and traces) over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class ObservabilitySetup
{
    /// <summary>The prefix of every meter the service exports (a feature names its meter <c>TheOpenMoney.&lt;Feature&gt;</c>).</summary>
    public const string MeterPrefix = "TheOpenMoney.";

    public static IServiceCollection AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ManagementOptions>().Bind(configuration.GetSection(ManagementOptions.Section));
        services.AddSingleton<ManagementServer>();
        services.AddHostedService(sp => sp.GetRequiredService<ManagementServer>());
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("theopenmoney-api"))
            .WithMetrics(metrics =>
            {
                // Every feature's meter is named TheOpenMoney.<feature> (PaymentMetrics, OrderMetrics, …): all of them.
                metrics.AddMeter(MeterPrefix + "*")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation()
                    // Host names looked up are chosen by partners (webhook URLs, refused ones too): never a
                    // label, or every registration would add a time series.
                    .AddView("dns.lookup.duration", new MetricStreamConfiguration { TagKeys = ["error.type"] })
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation()
                // The Bot API's URL carries the bot token: its calls are never traced.
                .AddHttpClientInstrumentation(http => http.FilterHttpRequestMessage = request =>
                    request.RequestUri?.AbsolutePath.StartsWith("/bot", StringComparison.Ordinal) != true)
                .AddNpgsql()
                .AddOtlpExporter());
        }

        return services;
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;
using TheOpenMoney.Api.Infrastructure.Idempotency;
using TheOpenMoney.Api.Health;

namespace TheOpenMoney.Api.Webhooks;

public static class WebhooksSetup
{
    /// <summary>
    /// The event log (<see cref="EventsSetup.AddEventLog"/>) and partner webhooks: options, the endpoint service, secret encryption, the SSRF-safe HTTP client (no
    /// redirects, addresses checked at connect time, no logging handlers: URLs may carry partners' tokens),
    /// the delivery job (every instance; <c>SKIP LOCKED</c>) and the <c>webhooks</c> health component.
    /// </summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEventLog(configuration);
        var section = configuration.GetSection(WebhookOptions.Section);
        services.AddOptions<WebhookOptions>()
            .Bind(section)
            .Validate(o => o.Timeout > TimeSpan.Zero && o.RetryBaseDelay > TimeSpan.Zero && o.RetryMaxDelay >= o.RetryBaseDelay, "Webhooks:Timeout and the retry delays must be positive")
            .Validate(o => o.MaxAttemptAge > TimeSpan.Zero && o.RotationOverlap > TimeSpan.Zero && o.DeliveryInterval > TimeSpan.Zero, "Webhooks:MaxAttemptAge, :RotationOverlap and :DeliveryInterval must be positive")
            .Validate(o => o.BatchSize > 0 && o.MaxConcurrency > 0 && o.PerEndpointConcurrency > 0, "Webhooks batch and concurrency settings must be positive")
            .Validate(o => o.CircuitBreakAfter > 0 && o.DueAgeDegradedAfter > TimeSpan.Zero && o.QueueGaugeInterval > TimeSpan.Zero, "Webhooks:CircuitBreakAfter, :DueAgeDegradedAfter and :QueueGaugeInterval must be positive")
            .ValidateOnStart();
        // Required: the key that encrypts webhook secrets at rest (base64 of 32 bytes); checked at start, not at the first delivery.
        services.AddOptions<WebhookSecretOptions>().Bind(section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.SecretKey), "Webhooks:SecretKey is required (base64 of 32 random bytes, e.g. openssl rand -base64 32)")
            .ValidateOnStart();
        services.AddSingleton<WebhookSecretProtector>();
        services.AddSingleton<IStoredResponseProtector>(sp => sp.GetRequiredService<WebhookSecretProtector>());
        services.AddSingleton<WebhookAddressGuard>();
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<WebhookInFlight>();
        services.AddScoped<WebhookEndpoints>();
        var settings = section.Get<WebhookOptions>() ?? new WebhookOptions();
        services.AddHttpClient(WebhookDeliveryWorker.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => WebhookHttpHandler.Create(settings.AllowPrivateNetworks, settings.Timeout))
            .RemoveAllLoggers();
        services.AddBackgroundJob<WebhookDeliveryWorker>((job, sp) =>
        {
            job.Interval = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.DeliveryInterval;
            job.FailureBackoff = TimeSpan.FromSeconds(1);
            // A run either claims, or waits for an attempt to end: back to back is the pipeline, not a spin.
            job.MoreWorkLimit = int.MaxValue;
        });
        services.AddContractExamples<WebhookContractExamples>();
        services.AddContractDocumentPart<WebhooksDocumentFilter>();
        services.AddBackgroundJob<WebhookQueueGauges>((job, sp) => job.Interval = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.QueueGaugeInterval);
        services.AddHealthChecks().AddCheck<WebhookHealthCheck>(HealthComponents.Webhooks, failureStatus: HealthStatus.Degraded);
        return services;
    }
}


using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace TheOpenMoney.Api.Infrastructure.Http;

public static class HttpResilience
{
    /// <summary>
    /// Microsoft.Extensions.Http.Resilience on a typed or named client, from its options: retry with
    /// exponential backoff and jitter on transport errors, timeouts, 5xx, 408 and 429, honouring
    /// <c>Retry-After</c> (up to <see cref="HttpResilienceOptions.RetryMaxDelay"/>); an optional circuit
    /// breaker; a timeout per attempt (innermost, so each retry has its own). Request content is resent
    /// on a retry (JSON and string bodies serialise again; tested).
    /// </summary>
    public static IHttpClientBuilder AddResilience<TOptions>(this IHttpClientBuilder builder, Func<TOptions, HttpResilienceOptions> select)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddResilienceHandler(builder.Name, (pipeline, context) =>
        {
            var options = select(context.ServiceProvider.GetRequiredService<IOptions<TOptions>>().Value);
            if (options.MaxRetries > 0)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.RetryBaseDelay,
                    MaxDelay = options.RetryMaxDelay,
                    ShouldRetryAfterHeader = true,
                });
            }

            if (options.CircuitFailureRatio > 0)
            {
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = options.CircuitFailureRatio,
                    MinimumThroughput = 5,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = options.CircuitBreakDuration,
                });
            }

            pipeline.AddTimeout(options.AttemptTimeout);
        });
        return builder;
    }
}

/// <summary>True for the failures an outgoing call can end in after its retries (for "dependency down" paths).</summary>
public static class HttpFailures
{
    public static bool IsTransient(Exception exception) =>
        exception is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or TaskCanceledException
            or System.Text.Json.JsonException or IOException;
}

using TheOpenMoney.Api.Infrastructure.Auth;

namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>Marks an endpoint as order creation: it also counts against <see cref="RateLimitingOptions.OrderCreationPerKeyPerMinute"/>.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class OrderCreationRateLimitAttribute : Attribute;

/// <summary>
/// The per-key limits (<c>RateLimiting:PerKeyPerMinute</c> on every keyed request, and
/// <c>RateLimiting:OrderCreationPerKeyPerMinute</c> on order creation too), taken together or not
/// at all. Every keyed response carries the IETF draft headers <c>RateLimit-Limit</c>,
/// <c>RateLimit-Remaining</c> and <c>RateLimit-Reset</c> (seconds) for the tightest limit; a refusal
/// is 429 <c>RATE_LIMITED</c> with the real <c>Retry-After</c>. Requests without a key pass (failed
/// authentication has its own limit per client address, <see cref="FailedAuthLimiter"/>). The limits hold
/// across all instances (<see cref="SharedQuotaCounters"/>).
/// </summary>
public sealed class PartnerRateLimitMiddleware(RequestDelegate next, IOptions<RateLimitingOptions> options, SharedQuotaCounters counters, RateLimitMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var keyId = context.User.GetKeyId();
        if (keyId is null)
        {
            await next(context);
            return;
        }

        var settings = options.Value;
        var creation = context.GetEndpoint()?.Metadata.GetMetadata<OrderCreationRateLimitAttribute>() is not null;
        Quota[] quotas = creation
            ? [new Quota("key:" + keyId, settings.PerKeyPerMinute), new Quota("create:" + keyId, settings.OrderCreationPerKeyPerMinute)]
            : [new Quota("key:" + keyId, settings.PerKeyPerMinute)];
        var decision = await counters.TryTakeAsync(quotas, settings.Window, context.RequestAborted);
        var headers = context.Response.Headers;
        headers["RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Reset"] = Seconds(decision.Reset).ToString(CultureInfo.InvariantCulture);
        if (decision.Allowed)
        {
            await next(context);
            return;
        }

        metrics.Rejected(creation && decision.Limit == settings.OrderCreationPerKeyPerMinute ? "order_creation" : "per_key");
        await ErrorResponseWriter.WriteAsync(
            context,
            StatusCodes.Status429TooManyRequests,
            ErrorCodes.RateLimited,
            "rate limit exceeded for this API key; retry after the number of seconds in Retry-After",
            Seconds(decision.RetryAfter));
    }

    /// <summary>Whole seconds, rounded up, at least 1.</summary>
    internal static int Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));
}

using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Infrastructure.Errors;
using TheOpenMoney.Api.Partners;

namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>
/// ASP.NET Core's built-in limiter, partitioned per API key: an overall limit on every
/// authenticated request and a tighter one on order creation (endpoint policy
/// <see cref="RateLimitingOptions.OrderCreationPolicy"/>). Rejections get 429 <c>RATE_LIMITED</c>
/// with <c>Retry-After</c>. Failed authentication is limited per IP by <see cref="FailedAuthLimiter"/>.
/// </summary>
public static class RateLimitingSetup
{
    public static IServiceCollection AddApiRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitingOptions>()
            .Bind(configuration.GetSection(RateLimitingOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<FailedAuthLimiter>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingOptions>>((limiter, settings) =>
        {
            var limits = settings.Value;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(
                context => PerKey(context, "all", limits.PerKeyPerMinute, limits.Window));
            limiter.AddPolicy(
                RateLimitingOptions.OrderCreationPolicy,
                context => PerKey(context, "orders", limits.OrderCreationPerKeyPerMinute, limits.Window));
            limiter.OnRejected = OnRejectedAsync;
        });
        return services;
    }

    private static RateLimitPartition<string> PerKey(HttpContext context, string bucket, int limit, TimeSpan window)
    {
        var keyId = context.User.GetKeyId();
        if (keyId is null)
        {
            // Anonymous requests (health, swagger) are not limited here; failed auth is limited per IP.
            return RateLimitPartition.GetNoLimiter("anonymous");
        }

        return RateLimitPartition.GetFixedWindowLimiter(
            $"{bucket}:{keyId}",
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit,
                Window = window,
                QueueLimit = 0,
                AutoReplenishment = true,
            });
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var value) ? value : TimeSpan.FromSeconds(60);
        await ErrorResponseWriter.WriteAsync(
            rejected.HttpContext,
            StatusCodes.Status429TooManyRequests,
            ErrorCodes.RateLimited,
            "rate limit exceeded for this API key; retry after the number of seconds in Retry-After",
            (int)Math.Ceiling(retryAfter.TotalSeconds));
    }
}

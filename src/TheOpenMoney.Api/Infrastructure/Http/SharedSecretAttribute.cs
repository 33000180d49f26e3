using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc.Filters;
using TheOpenMoney.Api.Infrastructure.RateLimiting;

namespace TheOpenMoney.Api.Infrastructure.Http;

/// <summary>
/// Authenticates a push from a known sender (the payment processor, Telegram) by a shared secret in a
/// header, before anything else about the request is looked at: an authorization filter runs before
/// the media-type check and model binding, so a wrong secret is 401 whatever the body or media type.
/// 404 while the route is off (no secret configured); 401 for a missing or wrong secret, and 429 once
/// the client address has failed too often (<see cref="FailedAuthLimiter"/>). Secrets are compared in
/// constant time, over hashes so their lengths leak nothing either.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public abstract class SharedSecretAttribute : Attribute, IAsyncAuthorizationFilter
{
    public async Task OnAuthorizationAsync(AuthorizationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var expected = ExpectedSecret(http.RequestServices);
        if (string.IsNullOrEmpty(expected))
        {
            throw ApiException.NotFound("route");
        }

        if (PresentedSecret(http.Request) is { } presented && SecretsMatch(presented, expected))
        {
            return;
        }

        var limiter = http.RequestServices.GetRequiredService<FailedAuthLimiter>();
        var (allowed, retryAfter) = await limiter.TryRecordFailureAsync(FailedAuthLimiter.ClientAddress(http), http.RequestAborted);
        if (!allowed)
        {
            throw new ApiException(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, "too many failed authentication attempts from this address; retry later")
            {
                RetryAfterSeconds = PartnerRateLimitMiddleware.Seconds(retryAfter),
            };
        }

        throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, InvalidMessage);
    }

    /// <summary>Equal secrets, compared in constant time over their SHA-256.</summary>
    public static bool SecretsMatch(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    /// <summary>The secret the sender must present, or null when the route is off.</summary>
    protected abstract string? ExpectedSecret(IServiceProvider services);

    /// <summary>The secret the request presents, or null when it presents none.</summary>
    protected abstract string? PresentedSecret(HttpRequest request);

    protected abstract string InvalidMessage { get; }
}

using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Net.Http.Headers;

namespace TheOpenMoney.Api.Infrastructure.Http;

/// <summary>
/// The one media type the API reads: a request that has a body must send
/// <c>Content-Type: application/json</c>, optionally with <c>charset=utf-8</c> and no other
/// parameter, and no <c>Content-Encoding</c> other than <c>identity</c>. Anything else is 415
/// <c>UNSUPPORTED_MEDIA_TYPE</c> before a byte of the body is read: no <c>+json</c> suffix types
/// (<c>application/json-patch+json</c>, <c>application/problem+json</c>), no other charset (the
/// framework would transcode UTF-16 and fail on odd lengths), no compressed bodies it would
/// silently misread.
/// </summary>
public static class StrictJsonBody
{
    /// <summary>Why the request's body cannot be read, or null when it can (or has no body).</summary>
    public static ApiException? Check(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var canHaveBody = request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
            ?? request.ContentLength > 0;
        if (!canHaveBody)
        {
            return null;
        }

        var encodings = request.Headers.ContentEncoding;
        if (encodings.Count > 0 && !(encodings.Count == 1 && string.Equals(encodings[0]?.Trim(), "identity", StringComparison.OrdinalIgnoreCase)))
        {
            return Unsupported("Content-Encoding is not supported: send the JSON body uncompressed");
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Unsupported("request body must be application/json");
        }

        foreach (var parameter in contentType.Parameters)
        {
            if (!parameter.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)
                || !HeaderUtilities.RemoveQuotes(parameter.Value).Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            {
                return Unsupported("request body must be application/json in UTF-8 (charset=utf-8 is the only parameter allowed)");
            }
        }

        return null;
    }

    private static ApiException Unsupported(string message) =>
        new(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, message);
}

/// <summary>Applies <see cref="StrictJsonBody"/> to every MVC action, before model binding (after authorization).</summary>
public sealed class StrictJsonBodyFilter : IResourceFilter, IOrderedFilter
{
    public int Order => int.MinValue;

    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (StrictJsonBody.Check(context.HttpContext.Request) is { } problem)
        {
            throw problem;
        }
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}

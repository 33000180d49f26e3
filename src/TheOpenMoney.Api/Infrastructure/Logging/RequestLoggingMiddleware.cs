using System.Diagnostics;
using TheOpenMoney.Api.Partners;

namespace TheOpenMoney.Api.Infrastructure.Logging;

/// <summary>
/// One line per request: method, path (no query string), status, elapsed ms, partner id and the
/// trace id. Headers are never logged, so neither is the Authorization header.
/// </summary>
public sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["TraceId"] = context.TraceIdentifier });
        try
        {
            await next(context);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var partnerId = context.User.TryGetPartnerId();
            var status = context.Response.StatusCode;
            if (status >= 500)
            {
                LogRequestError(logger, context.Request.Method, context.Request.Path.Value ?? "", status, elapsed, partnerId);
            }
            else
            {
                LogRequest(logger, context.Request.Method, context.Request.Path.Value ?? "", status, elapsed, partnerId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms (partner {PartnerId})")]
    private static partial void LogRequest(ILogger logger, string method, string path, int statusCode, double elapsedMs, long? partnerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms (partner {PartnerId})")]
    private static partial void LogRequestError(ILogger logger, string method, string path, int statusCode, double elapsedMs, long? partnerId);
}

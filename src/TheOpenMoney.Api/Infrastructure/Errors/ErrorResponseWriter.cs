using TheOpenMoney.Api.Infrastructure.Json;

namespace TheOpenMoney.Api.Infrastructure.Errors;

/// <summary>Writes the error envelope to a response. Every error path ends here.</summary>
public static class ErrorResponseWriter
{
    public static async Task WriteAsync(
        HttpContext context,
        int statusCode,
        string errorCode,
        string message,
        int? retryAfterSeconds = null,
        string? traceId = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json; charset=utf-8";
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = Math.Max(1, seconds).ToString(CultureInfo.InvariantCulture);
        }

        var envelope = new ErrorEnvelope(errorCode, message) { TraceId = traceId };
        await JsonSerializer.SerializeAsync(response.Body, envelope, JsonDefaults.Shared, context.RequestAborted);
    }

    public static Task WriteAsync(HttpContext context, ApiException exception) =>
        WriteAsync(context, exception.StatusCode, exception.ErrorCode, exception.Message, exception.RetryAfterSeconds);
}

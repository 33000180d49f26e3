using Microsoft.AspNetCore.Diagnostics;

namespace TheOpenMoney.Api.Infrastructure.Errors;

/// <summary>
/// The one place that maps failures to the envelope: <see cref="ApiException"/> to its status and
/// code, Kestrel's <see cref="BadHttpRequestException"/> to its status, a database that is down, frozen
/// or overloaded (<see cref="Data.DatabaseFailures"/>: the connection and command timeouts bound the
/// wait) to 503 <c>SERVICE_UNAVAILABLE</c> with <c>Retry-After</c>, anything else to a 500 with a
/// <c>trace_id</c> that is also logged (the exception text never reaches the client).
/// </summary>
public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await next(context);
        }
        catch (ApiException ex) when (!context.Response.HasStarted)
        {
            await ErrorResponseWriter.WriteAsync(context, ex);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            await ErrorResponseWriter.WriteAsync(
                context, ex.StatusCode, ErrorCodes.ForStatus(ex.StatusCode), ErrorCodes.MessageForStatus(ex.StatusCode));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
            LogAborted(logger, context.Request.Method, context.Request.Path.Value ?? "");
        }
        catch (Exception ex) when (!context.Response.HasStarted && Data.DatabaseFailures.IsUnavailable(ex))
        {
            var traceId = context.TraceIdentifier;
            LogDatabaseUnavailable(logger, ex, traceId, context.Request.Method, context.Request.Path.Value ?? "");
            context.Response.Clear();
            await ErrorResponseWriter.WriteAsync(
                context,
                StatusCodes.Status503ServiceUnavailable,
                ErrorCodes.ServiceUnavailable,
                "the database is not available right now; retry shortly",
                retryAfterSeconds: 5,
                traceId: traceId);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            var traceId = context.TraceIdentifier;
            LogUnhandled(logger, ex, traceId, context.Request.Method, context.Request.Path.Value ?? "");
            context.Response.Clear();
            await ErrorResponseWriter.WriteAsync(
                context,
                StatusCodes.Status500InternalServerError,
                ErrorCodes.InternalError,
                "internal error; quote trace_id when contacting support",
                traceId: traceId);
        }
    }

    /// <summary>Fills bodiless error statuses (unknown route, wrong method, 415 …) with the envelope.</summary>
    public static async Task WriteStatusCodeEnvelope(StatusCodeContext statusContext)
    {
        ArgumentNullException.ThrowIfNull(statusContext);
        var context = statusContext.HttpContext;
        var status = context.Response.StatusCode;
        if (status < 400 || context.Response.HasStarted)
        {
            return;
        }

        await ErrorResponseWriter.WriteAsync(context, status, ErrorCodes.ForStatus(status), ErrorCodes.MessageForStatus(status));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception, trace_id {TraceId}, {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string traceId, string method, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable, answered 503, trace_id {TraceId}, {Method} {Path}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception, string traceId, string method, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client aborted {Method} {Path}")]
    private static partial void LogAborted(ILogger logger, string method, string path);
}

using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.Health;

/// <summary>Service health probe (no key needed).</summary>
[ApiController]
[Route("api/v1/health")]
[AllowAnonymous]
[Tags("Health")]
public sealed partial class HealthController(HealthCheckService health, TimeProvider time, ILogger<HealthController> logger) : ControllerBase
{
    /// <summary>The answer comes within this, whatever state the dependencies are in (each check has its own shorter bound).</summary>
    internal static readonly TimeSpan AnswerWithin = TimeSpan.FromMilliseconds(1900);

    /// <summary>Components every report names, even before the feature that checks them is configured.</summary>
    internal static readonly string[] ExpectedComponents =
        [HealthComponents.Database, HealthComponents.PaymentProcessor, HealthComponents.Supplier, HealthComponents.TonRamp, HealthComponents.Bot, HealthComponents.Webhooks];

    /// <summary>Service health probe.</summary>
    /// <remarks>
    /// <c>status</c> is <c>ok</c> when every component is healthy and <c>degraded</c> when a
    /// non-critical one (payment processor, bot) is not. When the database is down the answer is
    /// 503 <c>SERVICE_UNAVAILABLE</c>.
    /// </remarks>
    [HttpGet(Name = "getHealth")]
    [Fails(StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<ApiResponse<HealthResponse>>> Get(CancellationToken cancellationToken)
    {
        HealthReport report;
        try
        {
            report = await health.CheckHealthAsync(cancellationToken).WaitAsync(AnswerWithin, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogTooSlow(logger, HttpContext.TraceIdentifier);
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "health checks did not answer in time")
            {
                RetryAfterSeconds = 5,
            };
        }

        if (report.Entries.TryGetValue(HealthComponents.Database, out var database) && database.Status == HealthStatus.Unhealthy)
        {
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "database unreachable")
            {
                RetryAfterSeconds = 5,
            };
        }

        var components = new Dictionary<string, IReadOnlyDictionary<string, object?>>(StringComparer.Ordinal);
        foreach (var name in ExpectedComponents)
        {
            components[name] = new Dictionary<string, object?> { ["status"] = "not_configured" };
        }

        foreach (var (name, entry) in report.Entries)
        {
            var component = new Dictionary<string, object?>(StringComparer.Ordinal) { ["status"] = StatusText(entry.Status) };
            if (entry.Exception is { } failure)
            {
                // A check that threw or timed out: its kind only; the text goes to the log with the trace id.
                component["error"] = entry.Exception is OperationCanceledException ? "timeout" : Infrastructure.FailureKind.Of(failure);
                LogCheckFailed(logger, failure, name, HttpContext.TraceIdentifier);
            }
            else if (entry.Description is not null && entry.Status != HealthStatus.Healthy)
            {
                component["detail"] = entry.Description;
            }

            foreach (var (field, value) in entry.Data)
            {
                component[field] = value;
            }

            components[name] = component;
        }

        var overall = report.Status == HealthStatus.Healthy ? "ok" : "degraded";
        return Ok(ApiResponse.Of(new HealthResponse(overall, time.GetUtcNow(), components)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check {Component} failed (trace_id {TraceId})")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, string component, string traceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health checks did not answer in time (trace_id {TraceId})")]
    private static partial void LogTooSlow(ILogger logger, string traceId);

    private static string StatusText(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "ok",
        HealthStatus.Degraded => "degraded",
        _ => "down",
    };
}

public static class HealthComponents
{
    public const string Database = "database";
    public const string PaymentProcessor = "payment_processor";
    public const string Bot = "bot";
    public const string Supplier = "supplier";
    public const string TonRamp = "tonramp";
    public const string Webhooks = "webhooks";
    public const string MoneyOut = "money_out";
    public const string Reconciliation = "reconciliation";
}

/// <param name="Status"><c>ok</c> or <c>degraded</c>.</param>
/// <param name="CheckedAt">When the probe ran.</param>
/// <param name="Components">One entry per component: <c>status</c> plus its own figures.</param>
public sealed record HealthResponse(
    [property: TextValues("ok", "degraded")] string Status,
    DateTimeOffset CheckedAt,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> Components);

using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace TheOpenMoney.Api.Infrastructure.Idempotency;

/// <summary>Writes a stored or fresh response body as is, with <c>Idempotent-Replayed: true</c> on a replay.</summary>
public sealed class IdempotentJsonResult(IdempotentResult result) : IActionResult
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = result.Body.Length;
        if (result.Replayed)
        {
            response.Headers[ReplayedHeader] = "true";
        }

        await response.Body.WriteAsync(result.Body, context.HttpContext.RequestAborted);
    }
}

/// <summary>Keeps the request body readable after model binding, so its exact bytes can be hashed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BufferedBodyAttribute : Attribute, IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.HttpContext.Request.EnableBuffering();
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}

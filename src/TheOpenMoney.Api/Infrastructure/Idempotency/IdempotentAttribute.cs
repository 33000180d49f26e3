using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using TheOpenMoney.Api.Infrastructure.Auth;

namespace TheOpenMoney.Api.Infrastructure.Idempotency;

/// <summary>
/// Makes a mutating action idempotent under the partner's <c>Idempotency-Key</c> (optional: without
/// one the action simply runs). Before model binding the body is buffered, so its exact bytes can be
/// hashed with the method and path. Then:
/// <list type="number">
/// <item>a key already answered replays that answer byte for byte with <c>Idempotent-Replayed: true</c>
/// before any work starts (422 <c>IDEMPOTENCY_KEY_REUSED</c> when it was another request);</item>
/// <item>otherwise the action runs, and the transaction it makes its change in (<see cref="Data.UnitOfWork"/>)
/// claims the key first and stores its answer before committing (<see cref="IdempotencyScope"/>); a
/// duplicate arriving meanwhile waits on the claim and replays what was stored;</item>
/// <item>the response is exactly the stored bytes, so the first answer and every replay are identical.</item>
/// </list>
/// The action must make its change through <see cref="Data.UnitOfWork"/>. Swagger documents the header
/// from this attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentAttribute : Attribute, IFilterFactory, IOrderedFilter
{
    public bool IsReusable => false;

    /// <summary>The answer shows a secret: store it encrypted (<see cref="IStoredResponseProtector"/>), never as plain bytes.</summary>
    public bool ProtectStoredResponse { get; init; }

    /// <summary>Last of the action filters, so validation and rate limits answer first.</summary>
    public int Order => int.MaxValue;

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        new IdempotencyFilter(serviceProvider.GetRequiredService<IdempotencyStore>(), serviceProvider.GetRequiredService<IdempotencyScope>(), ProtectStoredResponse);

    private sealed class IdempotencyFilter(IdempotencyStore store, IdempotencyScope scope, bool protect) : IResourceFilter, IAsyncActionFilter
    {
        public void OnResourceExecuting(ResourceExecutingContext context) => context.HttpContext.Request.EnableBuffering();

        public void OnResourceExecuted(ResourceExecutedContext context)
        {
        }

        public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
        {
            var http = context.HttpContext;
            var request = await IdempotentRequest.ReadAsync(http.Request, http.User.GetPartnerId(), http.RequestAborted);
            if (request is null)
            {
                await next();
                return;
            }

            request = request with { ProtectResponse = protect };
            if (await store.FindReplayAsync(request, http.RequestAborted) is { } replay)
            {
                context.Result = new StoredJsonResult(replay);
                return;
            }

            scope.Begin(request);
            var executed = await next();
            if (executed.Exception is IdempotentReplayException concurrent)
            {
                executed.Result = new StoredJsonResult(concurrent.Response);
                executed.ExceptionHandled = true;
            }
            else if (executed.Exception is null)
            {
                var body = scope.StoredBody
                    ?? throw new InvalidOperationException($"{context.ActionDescriptor.DisplayName} is [Idempotent] but made no change through UnitOfWork");
                executed.Result = new StoredJsonResult(new IdempotentResponse(body, Replayed: false));
            }
        }
    }

    /// <summary>Writes a stored body as is (200, JSON), with <c>Idempotent-Replayed: true</c> on a replay.</summary>
    private sealed class StoredJsonResult(IdempotentResponse response) : IActionResult
    {
        public async Task ExecuteResultAsync(ActionContext context)
        {
            var http = context.HttpContext.Response;
            http.StatusCode = StatusCodes.Status200OK;
            http.ContentType = "application/json; charset=utf-8";
            http.ContentLength = response.Body.Length;
            if (response.Replayed)
            {
                http.Headers[IdempotencyHeaders.Replayed] = "true";
            }

            await http.Body.WriteAsync(response.Body, context.HttpContext.RequestAborted);
        }
    }
}

using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Auth;
using TheOpenMoney.Api.Infrastructure.Idempotency;
using TheOpenMoney.Api.Infrastructure.Paging;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>Your webhook endpoint: events pushed to your URL, signed with <c>TOM-Signature</c>.</summary>
[ApiController]
[Route("api/v1/webhook")]
[Tags("Webhooks")]
[Produces("application/json")]
public sealed class WebhookController(WebhookEndpoints endpoints) : ControllerBase
{
    private const long MaxBodyBytes = 8 * 1024;

    /// <summary>Register or replace the webhook endpoint.</summary>
    /// <remarks>
    /// Creates the endpoint with a new signing secret (shown only in this answer), or replaces the URL and
    /// event types of the existing one (the secret stays; a disabled endpoint is enabled again). The URL
    /// must be <c>https</c>, without credentials, and its host must resolve to public addresses.
    /// </remarks>
    /// <param name="request">The endpoint.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPut(Name = "putWebhook")]
    [Consumes("application/json")]
    [RequestSizeLimit(MaxBodyBytes)]
    public async Task<ActionResult<ApiResponse<WebhookRegistered>>> Put([FromBody] PutWebhookRequest request, CancellationToken cancellationToken)
    {
        if (await endpoints.UrlProblemAsync(request.Url, cancellationToken) is { } problem)
        {
            throw ApiException.Validation(problem);
        }

        var types = request.Events is null ? null : (IReadOnlyList<string>)[.. request.Events.Distinct(StringComparer.Ordinal)];
        return Ok(ApiResponse.Of(await endpoints.PutAsync(User.GetPartnerId(), request.Url!, types, cancellationToken)));
    }

    /// <summary>The webhook endpoint (never its secret).</summary>
    [HttpGet(Name = "getWebhook")]
    [Fails(StatusCodes.Status404NotFound)]
    public async Task<ActionResult<ApiResponse<WebhookEndpointResponse>>> Get(CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await endpoints.GetAsync(User.GetPartnerId(), cancellationToken) ?? throw NoEndpoint()));

    /// <summary>Delete the webhook endpoint.</summary>
    /// <remarks>Events still waiting for it are not sent; the event log keeps them.</remarks>
    [HttpDelete(Name = "deleteWebhook")]
    [Fails(StatusCodes.Status404NotFound)]
    public async Task<ActionResult<ApiResponse<WebhookDeleted>>> Delete(CancellationToken cancellationToken) =>
        await endpoints.DeleteAsync(User.GetPartnerId(), cancellationToken) ? Ok(ApiResponse.Of(new WebhookDeleted(true))) : throw NoEndpoint();

    /// <summary>Rotate the signing secret.</summary>
    /// <remarks>
    /// The new secret is shown only in this answer (and in its replay under the same <c>Idempotency-Key</c>);
    /// every secret that signed before keeps signing beside it (one more <c>v1=</c> each) for 24 hours, so the
    /// one your receiver has deployed keeps verifying however many rotations are made meanwhile. At most four
    /// may be retiring at once: a fifth rotation within 24 hours is 409 <c>SECRET_ROTATION_LIMIT</c>.
    /// </remarks>
    [HttpPost("rotate-secret", Name = "rotateWebhookSecret")]
    [Idempotent(ProtectStoredResponse = true)]
    [RequestSizeLimit(MaxBodyBytes)]
    [Fails(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)]
    public async Task<ActionResult<ApiResponse<WebhookRotated>>> RotateSecret(CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await endpoints.RotateAsync(User.GetPartnerId(), cancellationToken) ?? throw NoEndpoint()));

    /// <summary>Send a ping event now.</summary>
    [HttpPost("test", Name = "testWebhook")]
    [Fails(StatusCodes.Status404NotFound)]
    public async Task<ActionResult<ApiResponse<WebhookTestQueued>>> Test(CancellationToken cancellationToken) =>
        await endpoints.PingAsync(User.GetPartnerId(), cancellationToken) ? Ok(ApiResponse.Of(new WebhookTestQueued(true))) : throw NoEndpoint();

    /// <summary>Delivery attempts, newest first.</summary>
    [HttpGet("deliveries", Name = "listWebhookDeliveries")]
    public async Task<ActionResult<ApiResponse<Page<WebhookAttemptResponse>>>> Deliveries([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await endpoints.AttemptsAsync(User.GetPartnerId(), page, cancellationToken)));

    /// <summary>Send an attempt's event again.</summary>
    /// <param name="id">The attempt's id from <c>GET /webhook/deliveries</c>.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost("deliveries/{id:long}/redeliver", Name = "redeliverWebhook")]
    [Fails(StatusCodes.Status404NotFound)]
    public async Task<ActionResult<ApiResponse<WebhookTestQueued>>> Redeliver(long id, CancellationToken cancellationToken) =>
        await endpoints.RedeliverAsync(User.GetPartnerId(), id, cancellationToken)
            ? Ok(ApiResponse.Of(new WebhookTestQueued(true)))
            : throw ApiException.NotFound("delivery");

    private static ApiException NoEndpoint() => ApiException.NotFound("webhook endpoint");
}

/// <param name="Deleted">Always true.</param>
public sealed record WebhookDeleted(bool Deleted);

/// <param name="Queued">Always true: the event will be sent within moments.</param>
public sealed record WebhookTestQueued(bool Queued);

internal sealed class PutWebhookRequestValidator : AbstractValidator<PutWebhookRequest>
{
    public PutWebhookRequestValidator()
    {
        RuleFor(r => r.Url).NotEmpty().WithMessage("url is required")
            .MaximumLength(WebhookUrlPolicy.MaxLength).WithMessage($"url must be at most {WebhookUrlPolicy.MaxLength} characters");
        RuleFor(r => r.Events)
            .Must(e => e is null || (e.Count is > 0 and <= 20 && e.All(EventTypes.Subscribable.Contains)))
            .WithMessage($"events must be a non-empty list of {string.Join(", ", EventTypes.Subscribable)}");
    }
}

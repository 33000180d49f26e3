using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Infrastructure.Errors;
using TheOpenMoney.Api.Infrastructure.RateLimiting;

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// The processor's push of a deposit (bicycle's <c>WEBHOOK_ENDPOINT</c>), a fast path beside polling.
/// The token (<c>Bearer PaymentProcessor:WebhookToken</c>, constant-time compare) is checked before
/// anything else, whatever the body or media type; wrong tokens count against the client address.
/// Only the body's <c>tx_hash</c> is used: the deposit applied is what the processor itself reports
/// for it (<see cref="WebhookDeposits"/>). Any push from a genuine processor answers 200 (bicycle
/// stops pushing after any other answer): a tx_hash it does not know credits nothing, and one it
/// cannot be asked about now is settled by the poller. A body without a plausible <c>tx_hash</c> is
/// 422; nothing in a body yields a 500.
/// </summary>
[ApiController]
[Route("internal/processor/webhook")]
[AllowAnonymous]
[ApiExplorerSettings(IgnoreApi = true)]
[ProcessorWebhookToken]
public sealed class ProcessorWebhookController(WebhookDeposits webhook) : ControllerBase
{
    /// <summary>The most a push body may hold (bicycle's are a few hundred bytes).</summary>
    private const int MaxBodyBytes = 64 * 1024;

    [HttpPost]
    [RequestSizeLimit(MaxBodyBytes)]
    public async Task<IActionResult> Receive(CancellationToken cancellationToken)
    {
        var txHash = await ReadTxHashAsync(Request, cancellationToken);
        var (status, kind) = await webhook.ConfirmAsync(txHash, cancellationToken);
        return Ok(ApiResponse.Of(new WebhookReceipt(txHash, status, kind)));
    }

    /// <summary>The body's <c>tx_hash</c>, the one field of a push that is used; 422 when the body has no plausible one.</summary>
    private static async Task<string> ReadTxHashAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(
                request.Body, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false }, cancellationToken);
        }
        catch (JsonException)
        {
            throw ApiException.Validation("webhook body is not valid JSON");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("tx_hash", out var value)
                || value.ValueKind != JsonValueKind.String)
            {
                throw ApiException.Validation("webhook body has no tx_hash");
            }

            string? txHash;
            try
            {
                txHash = value.GetString();
            }
            catch (InvalidOperationException)
            {
                txHash = null;
            }

            return ProcessorIncome.IsPlausibleTxHash(txHash)
                ? txHash!
                : throw ApiException.Validation("tx_hash must be 1 to 128 of A-Z, a-z, 0-9, +, /, =, _ and -");
        }
    }
}

/// <summary>
/// Checks the processor's webhook token before anything else runs (an authorization filter runs
/// before the media-type check and model binding). 404 when no token or no processor is configured
/// (the route is off); 401 for a missing or wrong token, 429 once the client address has failed too often.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ProcessorWebhookTokenAttribute : Attribute, IAsyncAuthorizationFilter
{
    public Task OnAuthorizationAsync(AuthorizationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var settings = http.RequestServices.GetRequiredService<IOptions<PaymentProcessorOptions>>().Value;
        var expected = settings.WebhookToken;
        if (string.IsNullOrEmpty(expected) || !settings.Enabled)
        {
            throw ApiException.NotFound("route");
        }

        if (BearerMatches(http.Request.Headers.Authorization.ToString(), expected))
        {
            return Task.CompletedTask;
        }

        var limiter = http.RequestServices.GetRequiredService<FailedAuthLimiter>();
        if (!limiter.TryRecordFailure(FailedAuthLimiter.ClientAddress(http), out var retryAfter))
        {
            throw new ApiException(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, "too many failed authentication attempts from this address; retry later")
            {
                RetryAfterSeconds = PartnerRateLimitMiddleware.Seconds(retryAfter),
            };
        }

        throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "invalid webhook token");
    }

    /// <summary><c>Bearer &lt;token&gt;</c> equal to <paramref name="expected"/>, compared in constant time (over hashes, so lengths leak nothing).</summary>
    internal static bool BearerMatches(string header, string expected)
    {
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[prefix.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }
}

/// <param name="TxHash">The deposit pushed.</param>
/// <param name="Status"><c>applied</c>, <c>known</c>, <c>stored</c>, <c>unknown</c> (the processor does not know it: nothing credited), <c>deferred</c> (the processor could not be asked: the poller settles it) or <c>quarantined</c>.</param>
/// <param name="Kind">How it was applied now (<c>applied</c> only).</param>
public sealed record WebhookReceipt(string TxHash, string Status, string? Kind);

using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

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

/// <summary>The processor's webhook token: <c>Authorization: Bearer PaymentProcessor:WebhookToken</c> (the route is off without a token or a processor).</summary>
public sealed class ProcessorWebhookTokenAttribute : SharedSecretAttribute
{
    protected override string InvalidMessage => "invalid webhook token";

    protected override string? ExpectedSecret(IServiceProvider services)
    {
        var settings = services.GetRequiredService<IOptions<PaymentProcessorOptions>>().Value;
        return settings.Enabled ? settings.WebhookToken : null;
    }

    protected override string? PresentedSecret(HttpRequest request)
    {
        const string prefix = "Bearer ";
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? header[prefix.Length..].Trim() : null;
    }
}

/// <param name="TxHash">The deposit pushed.</param>
/// <param name="Status"><c>applied</c>, <c>known</c>, <c>unknown</c> (the processor does not know it: nothing credited), <c>deferred</c> (the processor could not be asked: the poller settles it) or <c>quarantined</c>.</param>
/// <param name="Kind">How it was applied now (<c>applied</c> only).</param>
public sealed record WebhookReceipt(string TxHash, string Status, string? Kind);

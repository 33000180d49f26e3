using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Infrastructure.Errors;

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// The processor's push of a deposit (bicycle's <c>WEBHOOK_ENDPOINT</c>), a fast path beside polling.
/// Authenticated by <c>Bearer PaymentProcessor:WebhookToken</c> (constant-time compare). Answers 200
/// as soon as the deposit is stored — bicycle stops pushing after any other answer — then applies it
/// through the poller's code path; if applying fails, the poller applies it later. A deposit seen
/// both here and in the history is stored and applied once (unique tx_hash, applied flag).
/// </summary>
[ApiController]
[Route("internal/processor/webhook")]
[AllowAnonymous]
[ApiExplorerSettings(IgnoreApi = true)]
public sealed partial class ProcessorWebhookController(
    DepositProcessor deposits,
    IOptions<PaymentProcessorOptions> options,
    ILogger<ProcessorWebhookController> logger) : ControllerBase
{
    [HttpPost]
    [Consumes("application/json")]
    public async Task<IActionResult> Receive([FromBody] WebhookDeposit body, CancellationToken cancellationToken)
    {
        var expected = options.Value.WebhookToken;
        if (string.IsNullOrEmpty(expected))
        {
            throw ApiException.NotFound("route");
        }

        if (!TokenMatches(Request.Headers.Authorization.ToString(), expected))
        {
            throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "invalid webhook token");
        }

        IncomingDeposit deposit;
        try
        {
            deposit = ProcessorClient.ToDeposit(
                new ProcessorClient.Income(body.DepositAddress, body.Time, body.SourceAddress, body.Amount, body.Comment, body.TxHash),
                body.UserId ?? "");
        }
        catch (ProcessorException ex)
        {
            throw ApiException.Validation(ex.Message);
        }

        // Stored and committed first (the 200 promises that), then applied, in one round trip.
        var (result, applyError) = await deposits.StoreThenApplyAsync(deposit, "webhook", cancellationToken);
        if (applyError is not null)
        {
            LogApplyDeferred(logger, deposit.TxHash, applyError);
        }

        return Ok(ApiResponse.Of(new WebhookReceipt(deposit.TxHash, result.Stored, result.Outcome?.Kind)));
    }

    private static bool TokenMatches(string header, string expected)
    {
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[prefix.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook deposit {TxHash} stored; applying it failed and is left to the poller")]
    private static partial void LogApplyDeferred(ILogger logger, string txHash, Exception exception);
}

/// <summary>bicycle's webhook body. Fields it may add later are ignored.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record WebhookDeposit(
    string? DepositAddress,
    long Time,
    string? Amount,
    string? SourceAddress,
    string? Comment,
    string? UserId,
    string? TxHash);

/// <param name="TxHash">The deposit.</param>
/// <param name="Stored">False when it was already known.</param>
/// <param name="Kind">How it was applied now, or null when it was applied before (or is left to the poller).</param>
public sealed record WebhookReceipt(string TxHash, bool Stored, string? Kind);

using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// Telegram's pushes in Webhook mode (404 in any other mode). Authenticated by the
/// <c>X-Telegram-Bot-Api-Secret-Token</c> header, compared in constant time with
/// <c>Telegram:WebhookSecret</c> (401 envelope otherwise). Each update is handled at most once
/// (<see cref="BotUpdateProcessor"/>), and the answer is 200 even when its command failed: any other
/// answer makes Telegram deliver the same update again and again. Only when the update cannot even
/// be recorded (database down) is the answer an error, so Telegram delivers it again later.
/// </summary>
[ApiController]
[Route("telegram/webhook")]
[AllowAnonymous]
[ApiExplorerSettings(IgnoreApi = true)]
[TelegramWebhookSecret]
public sealed partial class TelegramWebhookController(
    BotUpdateProcessor processor,
    IHostApplicationLifetime lifetime,
    ILogger<TelegramWebhookController> logger) : ControllerBase
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    [HttpPost]
    public async Task<IActionResult> Receive()
    {
        Update? update;
        try
        {
            // The library's own JSON settings, the ones it reads getUpdates answers with.
            update = await JsonSerializer.DeserializeAsync<Update>(Request.Body, JsonBotAPI.Options, HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            // It will never parse: answering an error would only make Telegram send it forever.
            LogUnreadable(logger);
            return Ok(ApiResponse.Of(new TelegramWebhookReceipt(null, false)));
        }

        if (update is null)
        {
            return Ok(ApiResponse.Of(new TelegramWebhookReceipt(null, false)));
        }

        // Not the request's token: a client that hangs up must not leave a claimed update half handled.
        var handled = await processor.ProcessAsync(update, lifetime.ApplicationStopping);
        return Ok(ApiResponse.Of(new TelegramWebhookReceipt(update.Id, handled)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram webhook body is not a readable update; ignored")]
    private static partial void LogUnreadable(ILogger logger);
}

/// <summary>Telegram's <c>X-Telegram-Bot-Api-Secret-Token</c> equal to <c>Telegram:WebhookSecret</c> (the route is off in any other mode).</summary>
public sealed class TelegramWebhookSecretAttribute : SharedSecretAttribute
{
    protected override string InvalidMessage => "invalid webhook secret token";

    protected override string? ExpectedSecret(IServiceProvider services)
    {
        var settings = services.GetRequiredService<IOptions<TelegramOptions>>().Value;
        return settings.EffectiveMode == TelegramMode.Webhook ? settings.WebhookSecret : null;
    }

    protected override string? PresentedSecret(HttpRequest request) =>
        request.Headers.TryGetValue(TelegramWebhookController.SecretHeader, out var value) ? value.ToString() : null;
}

/// <param name="UpdateId">The update received.</param>
/// <param name="Handled">False when it had been handled before (or could not be read).</param>
public sealed record TelegramWebhookReceipt(long? UpdateId, bool Handled);

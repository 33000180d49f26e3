using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;
using TheOpenMoney.Api.Infrastructure;

namespace TheOpenMoney.Api.Telegram;

/// <summary>A button under a bot message: its label and the data Telegram sends back when it is pressed (at most 64 bytes).</summary>
public sealed record BotButton(string Text, string CallbackData);

/// <summary>A press on one of the bot's buttons, as Telegram reported it.</summary>
/// <param name="Id">The callback query's id (to answer it).</param>
/// <param name="FromUserId">Who pressed.</param>
/// <param name="ChatId">The chat of the message pressed (null when Telegram does not say: an inline message).</param>
/// <param name="MessageId">The message pressed.</param>
/// <param name="Data">The button's callback data (anyone's client can send any bytes here: never trust it alone).</param>
public sealed record BotCallback(string Id, long FromUserId, long? ChatId, long? MessageId, string Data);

/// <summary>
/// A feature that owns some of the bot's buttons: presses whose callback data starts with <see cref="Prefix"/>
/// (and a colon) are its to judge. The text it returns is shown to the presser (a short notice).
/// </summary>
public interface IBotCallbackHandler
{
    string Prefix { get; }

    Task<string> HandleAsync(BotCallback callback, CancellationToken cancellationToken);
}

/// <summary>Telegram refused a message for good (the user blocked the bot, never started it, the chat is gone).</summary>
public sealed class TelegramRefusedException(string message) : Exception(message);

/// <summary>What other features may say through the bot: to a partner with buttons, edits, and to the operators.</summary>
public interface ITelegramMessenger
{
    /// <summary>False when the bot is off (no token, or <c>Telegram:Mode=Disabled</c>): nothing can be sent or confirmed.</summary>
    bool Enabled { get; }

    /// <summary>Sends an HTML message with one row of buttons; the message id. <see cref="TelegramRefusedException"/> when Telegram refuses for good.</summary>
    Task<long> SendWithButtonsAsync(long chatId, string html, IReadOnlyList<BotButton> buttons, CancellationToken cancellationToken);

    /// <summary>Replaces a message's text and removes its buttons (best effort: a failure is logged).</summary>
    Task EditAsync(long chatId, long messageId, string html, CancellationToken cancellationToken);

    /// <summary>Tells every chat of <c>Telegram:OperatorChatIds</c> (best effort: a failure is logged).</summary>
    Task NotifyOperatorsAsync(string html, CancellationToken cancellationToken);
}

/// <summary>The bot's <see cref="ITelegramMessenger"/> over our Bot API client (its retry policy, no token in any log).</summary>
public sealed partial class TelegramMessenger(
    ITelegramBotClient bot,
    IOptions<TelegramOptions> options,
    ILogger<TelegramMessenger> logger) : ITelegramMessenger
{
    public bool Enabled => options.Value.EffectiveMode != TelegramMode.Disabled;

    public async Task<long> SendWithButtonsAsync(long chatId, string html, IReadOnlyList<BotButton> buttons, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(buttons);
        var markup = new InlineKeyboardMarkup(buttons.Select(b => InlineKeyboardButton.WithCallbackData(b.Text, b.CallbackData)));
        try
        {
            var sent = await bot.SendMessage(chatId, html, ParseMode.Html, replyMarkup: markup, cancellationToken: cancellationToken);
            return sent.MessageId;
        }
        catch (ApiRequestException ex) when (ex.ErrorCode is 400 or 403)
        {
            throw new TelegramRefusedException($"Telegram refused the message ({ex.ErrorCode})");
        }
    }

    public async Task EditAsync(long chatId, long messageId, string html, CancellationToken cancellationToken)
    {
        try
        {
            await bot.EditMessageText(chatId, (int)messageId, html, ParseMode.Html, replyMarkup: null, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogEditFailed(logger, FailureKind.Of(ex));
        }
    }

    public async Task NotifyOperatorsAsync(string html, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return;
        }

        foreach (var chat in options.Value.OperatorChats())
        {
            try
            {
                await bot.SendMessage(chat, html, ParseMode.Html, cancellationToken: cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogOperatorNoticeFailed(logger, FailureKind.Of(ex));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Editing a bot message failed ({FailureKind})")]
    private static partial void LogEditFailed(ILogger logger, string failureKind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling an operator chat failed ({FailureKind})")]
    private static partial void LogOperatorNoticeFailed(ILogger logger, string failureKind);
}

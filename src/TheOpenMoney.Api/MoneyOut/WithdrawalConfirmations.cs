using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TheOpenMoney.Api.Partners;
using TheOpenMoney.Api.Telegram;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>
/// Why a leaked API key alone cannot move money out: a partner withdrawal goes out only after Confirm is
/// pressed in the partner's own private chat with the bot. This class sends that question (amount, fee,
/// destination; Confirm and Cancel buttons) and judges every press. A press counts only when all of these hold:
/// it comes from the partner's Telegram user, on the very message sent for this withdrawal in that user's
/// private chat, carrying the withdrawal's secret (an HMAC under <c>ApiKeys:Pepper</c> of its id and a random
/// salt, so callback data cannot be forged for it or reused for another), before <c>confirm_by</c>, while it
/// still awaits confirmation — once: a second press, a replayed callback or a press after Cancel changes
/// nothing. The message is edited to show the outcome.
/// </summary>
public sealed partial class WithdrawalConfirmations(
    NpgsqlDataSource dataSource,
    WithdrawalLifecycle lifecycle,
    ITelegramMessenger messenger,
    IOptions<ApiKeyOptions> keys,
    IOptions<WithdrawalOptions> options,
    ILogger<WithdrawalConfirmations> logger) : IBotCallbackHandler
{
    public const string ButtonPrefix = "wd";

    public string Prefix => ButtonPrefix;

    /// <summary>The secret a withdrawal's buttons carry (22 characters of base64url).</summary>
    public string Token(long withdrawalId, byte[] salt)
    {
        ArgumentNullException.ThrowIfNull(salt);
        var message = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"tom-withdrawal-confirm:{withdrawalId}:{Convert.ToHexStringLower(salt)}"));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(keys.Value.Pepper), message);
        return Base64UrlEncode(mac.AsSpan(0, 16));
    }

    /// <summary>The callback data of a withdrawal's Confirm (<c>c</c>) or Cancel (<c>x</c>) button.</summary>
    public string CallbackData(long withdrawalId, byte[] salt, char action) =>
        string.Create(CultureInfo.InvariantCulture, $"{ButtonPrefix}:{withdrawalId}:{Token(withdrawalId, salt)}:{action}");

    /// <summary>
    /// Asks the partner in Telegram (their private chat: its id is their user id) and remembers the message.
    /// False when Telegram refuses for good (the partner blocked the bot or never started it): the caller cancels.
    /// </summary>
    public async Task<bool> AskAsync(Withdrawal withdrawal, long telegramUserId, byte[] salt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(withdrawal);
        var text = HtmlText.Format(
            $"Withdraw {withdrawal.AmountText} from your TheOpenMoney balance to {withdrawal.Destination}? The fee is {withdrawal.FeeText}. Confirm within {options.Value.ConfirmWithin.TotalMinutes:0} minutes. If you did not ask for this, press Cancel and revoke your API key (/revoke) at once: someone has it.");
        try
        {
            var messageId = await messenger.SendWithButtonsAsync(
                telegramUserId,
                text,
                [new BotButton("Confirm", CallbackData(withdrawal.Id, salt, 'c')), new BotButton("Cancel", CallbackData(withdrawal.Id, salt, 'x'))],
                cancellationToken);
            await lifecycle.AttachConfirmationMessageAsync(withdrawal.Id, telegramUserId, messageId, cancellationToken);
            return true;
        }
        catch (TelegramRefusedException)
        {
            return false;
        }
    }

    /// <summary>Shows how it ended on the message that asked, if there was one.</summary>
    public Task ShowOutcomeAsync(Withdrawal withdrawal, string outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(withdrawal);
        return withdrawal is { TelegramChatId: { } chat, TelegramMessageId: { } message }
            ? messenger.EditAsync(
                chat,
                message,
                HtmlText.Format($"Withdrawal of {withdrawal.AmountText} to {withdrawal.Destination}: {outcome}"),
                cancellationToken)
            : Task.CompletedTask;
    }

    public async Task<string> HandleAsync(BotCallback callback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var match = CallbackShape().Match(callback.Data);
        if (!match.Success || !long.TryParse(match.Groups["id"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return Refused("malformed");
        }

        var pending = await FindAsync(id, cancellationToken);
        if (pending is null
            || callback.FromUserId != pending.TelegramUserId
            || callback.ChatId != pending.ChatId || callback.ChatId != callback.FromUserId
            || callback.MessageId != pending.MessageId
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(match.Groups["token"].Value), Encoding.ASCII.GetBytes(Token(id, pending.Salt))))
        {
            // Not this partner's, not this message, or forged: nothing is said about which.
            return Refused("not its owner's");
        }

        if (match.Groups["action"].Value == "x")
        {
            var cancelled = await lifecycle.CancelAsync(pending.PartnerId, id, "cancelled in Telegram", cancellationToken);
            if (cancelled is { Cancelled: true })
            {
                await EditAsync(pending, "cancelled; the amount and the fee are back on your balance.", cancellationToken);
                return "Cancelled: nothing was sent.";
            }

            return "This withdrawal can no longer be cancelled.";
        }

        switch (await lifecycle.ConfirmAsync(id, cancellationToken))
        {
            case ConfirmOutcome.Confirmed:
                LogConfirmed(logger, id);
                await EditAsync(pending, "confirmed; it is being sent.", cancellationToken);
                return "Confirmed: it is being sent.";
            case ConfirmOutcome.AlreadyConfirmed:
                return "Already confirmed.";
            case ConfirmOutcome.TooLate:
                return "Too late: confirm within the time shown, or ask again.";
            default:
                return "This withdrawal no longer waits for a confirmation.";
        }
    }

    private Task EditAsync(Owner owner, string outcome, CancellationToken cancellationToken) =>
        messenger.EditAsync(owner.ChatId!.Value, owner.MessageId!.Value, HtmlText.Format($"Withdrawal {owner.Id}: {outcome}"), cancellationToken);

    private string Refused(string why)
    {
        LogRefusedPress(logger, why);
        return "This button is not valid.";
    }

    private sealed record Owner(long Id, long PartnerId, long TelegramUserId, long? ChatId, long? MessageId, byte[] Salt);

    private async Task<Owner?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT w.id, w.partner_id, p.telegram_user_id, w.telegram_chat_id, w.telegram_message_id, w.confirm_salt
              FROM withdrawals w JOIN partners p ON p.id = w.partner_id
             WHERE w.id = $1 AND w.kind = 'partner'
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Owner(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.Get<long?>(3), reader.Get<long?>(4), reader.GetFieldValue<byte[]>(5))
            : null;
    }

    private static string Base64UrlEncode(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex(@"^wd:(?<id>[1-9][0-9]{0,18}):(?<token>[A-Za-z0-9_-]{22}):(?<action>[cx])$", RegexOptions.CultureInvariant)]
    private static partial Regex CallbackShape();

    [LoggerMessage(Level = LogLevel.Information, Message = "Withdrawal {WithdrawalId} confirmed in Telegram")]
    private static partial void LogConfirmed(ILogger logger, long withdrawalId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A withdrawal button press was refused ({Why})")]
    private static partial void LogRefusedPress(ILogger logger, string why);
}

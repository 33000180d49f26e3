using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Partners;
using TheOpenMoney.Api.Webhooks;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// The bot's commands. Keys are tied to the sender's Telegram id (<c>from.id</c>), never the
/// username. Everything is answered only in private chats; in groups, supergroups and channels a
/// known command gets a short pointer to the private chat and never a key. Every reply is
/// Telegram HTML built with <see cref="HtmlText.Format"/>, so interpolated values are escaped.
/// </summary>
public sealed partial class BotCommandHandler(
    ITelegramBotClient bot,
    PartnerKeyService keys,
    BalanceLedger ledger,
    ITopupAddress addresses,
    WebhookEndpoints webhooks,
    KeyCommandLimiter limiter,
    IEnumerable<IBotCallbackHandler> callbackHandlers,
    BotStatus status,
    IOptions<TelegramOptions> options,
    ILogger<BotCommandHandler> logger)
{
    /// <summary>
    /// Every command, once: its name, what the menu and the help say about it, and what it does. The
    /// <see cref="Menu"/>, the help text and the dispatch are derived from this table.
    /// </summary>
    private static readonly IReadOnlyList<Command> Commands =
    [
        new("api", "Get your API key (shown once)", (h, chat, from, ct) => h.ApiAsync(chat, from, livemode: true, ct)),
        new("apitest", "Get a test-mode key (osk_test_…: simulated money)", (h, chat, from, ct) => h.ApiAsync(chat, from, livemode: false, ct)),
        new("keys", "Your keys: prefix, created, last used", (h, chat, from, ct) => h.KeysAsync(chat, from, ct)),
        new("revoke", "Revoke your active key at once", (h, chat, from, ct) => h.RevokeAsync(chat, from, livemode: true, ct)),
        new("revoketest", "Revoke your active test-mode key", (h, chat, from, ct) => h.RevokeAsync(chat, from, livemode: false, ct)),
        new("balance", "Your balance and top-up address", (h, chat, from, ct) => h.BalanceAsync(chat, from, ct)),
        new("webhook", "Your webhook endpoint: URL, state, last delivery", (h, chat, from, ct) => h.WebhookAsync(chat, from, ct)),
        new("help", "What this bot does", (h, chat, from, ct) => h.HelpAsync(chat, from, ct)),
        new("start", "Start the bot", (h, chat, from, ct) => h.HelpAsync(chat, from, ct), InMenu: false),
    ];

    private static readonly FrozenDictionary<string, Command> ByName = Commands.ToFrozenDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The command menu set with <c>setMyCommands</c> at start.</summary>
    internal static readonly IReadOnlyList<BotCommand> Menu = [.. Commands.Where(c => c.InMenu).Select(c => new BotCommand(c.Name, c.Description))];

    /// <summary>The help's list of commands: one line per menu entry.</summary>
    private static readonly string CommandList = string.Join('\n', Menu.Select(c => $"/{c.Command} — {char.ToLowerInvariant(c.Description[0])}{c.Description[1..]}"));

    public async Task HandleAsync(Update update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.CallbackQuery is { } press)
        {
            await HandlePressAsync(press, cancellationToken);
            return;
        }

        var message = update.Message;
        if (message?.Text is not { } text || message.From is not { IsBot: false } from || message.Chat is null)
        {
            return;
        }

        var chat = message.Chat;
        if (KeyShape().IsMatch(text))
        {
            await HandlePostedKeyAsync(message, cancellationToken);
            return;
        }

        var command = ParseCommand(text, status.Username);
        if (command is null)
        {
            // Plain text in a private chat gets a hint; a command for another bot gets nothing.
            if (IsPrivate(chat) && !text.TrimStart().StartsWith('/'))
            {
                await ReplyAsync(chat, HtmlText.Format($"I answer commands only. Send /help to see them."), cancellationToken);
            }

            return;
        }

        var known = ByName.TryGetValue(command, out var handler);
        if (!IsPrivate(chat))
        {
            // Never a key, nor anything about one, outside a private chat.
            if (known)
            {
                await ReplyAsync(chat, GroupPointer(), cancellationToken);
            }

            return;
        }

        LogCommand(logger, handler?.Name ?? "unknown", from.Id);
        if (handler is null)
        {
            await ReplyAsync(chat, HtmlText.Format($"Unknown command. Send /help to see what I can do."), cancellationToken);
            return;
        }

        await handler.Run(this, chat, from, cancellationToken);
    }

    /// <summary>
    /// A press on one of the bot's buttons: handed to the feature whose prefix its data carries (which judges
    /// who pressed, where, and whether it still counts), and always answered, so the button stops spinning.
    /// Data no feature owns, or a press not from a person, changes nothing.
    /// </summary>
    private async Task HandlePressAsync(CallbackQuery press, CancellationToken cancellationToken)
    {
        var data = press.Data ?? "";
        var prefix = data.Split(':', 2)[0];
        var owner = press.From is { IsBot: false } ? callbackHandlers.FirstOrDefault(h => h.Prefix == prefix) : null;
        var answer = owner is null
            ? "This button does nothing."
            : await owner.HandleAsync(
                new BotCallback(press.Id, press.From!.Id, press.Message?.Chat.Id, press.Message?.MessageId, data), cancellationToken);
        LogPress(logger, prefix.Length <= 8 && prefix.All(char.IsAsciiLetterOrDigit) ? prefix : "unknown", press.From?.Id ?? 0);
        await bot.AnswerCallbackQuery(press.Id, answer, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The command name of a message (<c>/api</c>, <c>/api@ThisBot</c>, <c>/start payload</c> → <c>api</c>, <c>start</c>),
    /// or null when the text is not a command or the command is addressed to another bot.
    /// </summary>
    internal static string? ParseCommand(string text, string? botUsername)
    {
        var trimmed = text.TrimStart();
        if (trimmed.Length < 2 || trimmed[0] != '/')
        {
            return null;
        }

        var end = trimmed.AsSpan().IndexOfAny(" \t\r\n");
        var token = end < 0 ? trimmed[1..] : trimmed[1..end];
        var at = token.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var target = token[(at + 1)..];
            if (botUsername is not null && !string.Equals(target, botUsername, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            token = token[..at];
        }

        return token.Length == 0 ? null : token;
    }

    /// <summary><c>/api</c> (a live key) or <c>/apitest</c> (a test-mode key): issued only when none of that mode is active.</summary>
    private async Task ApiAsync(Chat chat, User from, bool livemode, CancellationToken cancellationToken)
    {
        var (allowed, retryAfter) = await limiter.TryAcquireAsync(from.Id, cancellationToken);
        if (!allowed)
        {
            await SlowDownAsync(chat, retryAfter, cancellationToken);
            return;
        }

        var (issue, revoke) = KeyCommandsFor(livemode);
        var outcome = await keys.IssueIfNoneActiveAsync(from.Id, from.Username, livemode, cancellationToken);
        if (outcome.Active is { } active)
        {
            await ReplyAsync(
                chat,
                HtmlText.Format($"""
                    You already have an active {(livemode ? "" : "test-mode ")}key: <code>{active.Prefix}…</code>, created {Date(active.CreatedAt)}.
                    A key is shown only once, when it is issued. If you lost it, send {revoke} and then {issue} for a new one.
                    """),
                cancellationToken);
            return;
        }

        var issued = outcome.Issued!;
        LogIssued(logger, issued.PartnerId, issued.Prefix);
        try
        {
            await SendHtmlAsync(chat, KeyIssued(issued, livemode), protectContent: true, cancellationToken);
        }
        catch
        {
            // A key nobody saw must not stay usable: revoke it, so the next /api issues a fresh one.
            await keys.RevokeAsync(from.Id, livemode, CancellationToken.None);
            LogUndeliveredKeyRevoked(logger, issued.PartnerId, issued.Prefix);
            throw;
        }
    }

    /// <summary><c>/revoke</c> (the live key) or <c>/revoketest</c> (the test-mode key); the other mode's key keeps working.</summary>
    private async Task RevokeAsync(Chat chat, User from, bool livemode, CancellationToken cancellationToken)
    {
        var (allowed, retryAfter) = await limiter.TryAcquireAsync(from.Id, cancellationToken);
        if (!allowed)
        {
            await SlowDownAsync(chat, retryAfter, cancellationToken);
            return;
        }

        var (issue, _) = KeyCommandsFor(livemode);
        await keys.UpdateUsernameAsync(from.Id, from.Username, cancellationToken);
        var active = (await keys.ListKeysAsync(from.Id, cancellationToken))
            .FirstOrDefault(k => k.RevokedAt is null && ApiKeyHasher.IsTestKey(k.Prefix) != livemode);
        var revoked = await keys.RevokeAsync(from.Id, livemode, cancellationToken);
        if (revoked == 0)
        {
            await ReplyAsync(chat, HtmlText.Format($"You have no active {(livemode ? "" : "test-mode ")}key. Send {issue} to get one."), cancellationToken);
            return;
        }

        LogRevoked(logger, from.Id, active?.Prefix);
        var which = active is null ? new RawHtml("Your key") : new RawHtml(HtmlText.Format($"Your key <code>{active.Prefix}…</code>"));
        await ReplyAsync(
            chat,
            HtmlText.Format($"{which} is revoked: requests with it are refused from now on. Send {issue} for a new key."),
            cancellationToken);
    }

    /// <summary>The commands that issue and revoke a key of that mode.</summary>
    private static (string Issue, string Revoke) KeyCommandsFor(bool livemode) =>
        livemode ? ("/api", "/revoke") : ("/apitest", "/revoketest");

    private async Task KeysAsync(Chat chat, User from, CancellationToken cancellationToken)
    {
        await keys.UpdateUsernameAsync(from.Id, from.Username, cancellationToken);
        var list = await keys.ListKeysAsync(from.Id, cancellationToken);
        if (list.Count == 0)
        {
            await ReplyAsync(chat, HtmlText.Format($"You have no keys yet. Send /api to get one."), cancellationToken);
            return;
        }

        var text = new StringBuilder(HtmlText.Format($"Your keys, newest first (a key itself is never stored, only its prefix):"));
        foreach (var key in list.Take(10))
        {
            var state = key.RevokedAt is { } revokedAt ? HtmlText.Format($"revoked {Date(revokedAt)}") : "<b>active</b>";
            var lastUsed = key.LastUsedAt is { } used ? Date(used) : "never";
            text.Append('\n').Append(HtmlText.Format(
                $"• <code>{key.Prefix}…</code> {new RawHtml(state)}; created {Date(key.CreatedAt)}; last used {lastUsed}"));
        }

        if (list.Count > 10)
        {
            text.Append('\n').Append(HtmlText.Format($"… and {list.Count - 10} older, all revoked."));
        }

        await ReplyAsync(chat, text.ToString(), cancellationToken);
    }

    private async Task BalanceAsync(Chat chat, User from, CancellationToken cancellationToken)
    {
        var partnerId = await PartnerOrHintAsync(chat, from, cancellationToken);
        if (partnerId is null)
        {
            return;
        }

        var balance = TonAmount.FromNano(await ledger.GetBalanceAsync(partnerId.Value, cancellationToken));
        var topup = await addresses.GetTopupAddressAsync(partnerId.Value, cancellationToken);
        var address = topup is null
            ? new RawHtml("Top-up address: not available yet, try again later.")
            : new RawHtml(HtmlText.Format($"Top-up address (send TON with any comment; it is credited to your balance):\n<code>{topup}</code>"));
        await ReplyAsync(chat, HtmlText.Format($"Balance: <b>{balance} TON</b>\n{address}"), cancellationToken);
    }

    /// <summary>The partner behind <paramref name="from"/> (their username refreshed), or null after telling them to get a key first.</summary>
    private async Task<long?> PartnerOrHintAsync(Chat chat, User from, CancellationToken cancellationToken)
    {
        await keys.UpdateUsernameAsync(from.Id, from.Username, cancellationToken);
        var partnerId = await keys.FindPartnerIdAsync(from.Id, cancellationToken);
        if (partnerId is null)
        {
            await ReplyAsync(chat, HtmlText.Format($"You are not a partner yet. Send /api to get a key first."), cancellationToken);
        }

        return partnerId;
    }

    /// <summary>The webhook endpoint as GET /webhook shows it, never its secret.</summary>
    private async Task WebhookAsync(Chat chat, User from, CancellationToken cancellationToken)
    {
        var partnerId = await PartnerOrHintAsync(chat, from, cancellationToken);
        if (partnerId is null)
        {
            return;
        }

        if (await webhooks.GetAsync(partnerId.Value, cancellationToken) is not { } endpoint)
        {
            await ReplyAsync(chat, HtmlText.Format($"No webhook endpoint. Register one with PUT /api/v1/webhook."), cancellationToken);
            return;
        }

        var state = endpoint.Enabled ? "enabled" : $"disabled: {endpoint.DisabledReason}";
        var last = endpoint.LastDelivery is { } delivery
            ? HtmlText.Format($"{(delivery.Delivered ? "delivered" : "failed")} ({(delivery.StatusCode is { } code ? $"HTTP {code}" : delivery.Error)}) at {delivery.CreatedAt:yyyy-MM-dd HH:mm:ss}Z")
            : "none yet";
        await ReplyAsync(
            chat,
            HtmlText.Format($"Webhook: <code>{endpoint.Url}</code>\nState: {state}\nEvents: {string.Join(", ", endpoint.Events)}\nLast delivery: {new RawHtml(last)}"),
            cancellationToken);
    }

    /// <summary>
    /// A message that contains something shaped like a key: deleted where the bot may (best effort)
    /// and answered with advice, never echoing the key. Nothing is revoked automatically.
    /// </summary>
    private async Task HandlePostedKeyAsync(Message message, CancellationToken cancellationToken)
    {
        var deleted = true;
        try
        {
            await bot.DeleteMessage(message.Chat.Id, message.Id, cancellationToken);
        }
        catch (RequestException)
        {
            deleted = false;
        }

        LogPostedKey(logger, message.Chat.Type, deleted);
        var what = deleted ? "That message contained an API key, so I deleted it." : "That message contains an API key.";
        var advice = IsPrivate(message.Chat)
            ? HtmlText.Format($"{what} Never share your key; if it was real, send /revoke and then /api for a new one.")
            : HtmlText.Format($"{what} Keys must stay private: its owner should revoke it in a private chat with me.");
        await ReplyAsync(message.Chat, advice, cancellationToken);
    }

    private Task SlowDownAsync(Chat chat, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        return ReplyAsync(
            chat,
            HtmlText.Format($"Slow down: at most {settings.KeyCommandsPerWindow} key requests (/api, /apitest, /revoke, /revoketest) per {Duration(settings.KeyCommandsWindow)}. Try again in {Duration(retryAfter)}."),
            cancellationToken);
    }

    private async Task HelpAsync(Chat chat, User from, CancellationToken cancellationToken)
    {
        await keys.UpdateUsernameAsync(from.Id, from.Username, cancellationToken);
        await ReplyAsync(chat, Help(from), cancellationToken);
    }

    private string Help(User from)
    {
        var links = options.Value.PublicApiUrl?.TrimEnd('/') is { } api
            ? new RawHtml(HtmlText.Format($"\nAPI: {api}/api/v1\nDocs and Swagger: {api}/swagger\n"))
            : new RawHtml("");
        return HtmlText.Format($"""
            Hello, {from.FirstName ?? from.Username ?? "partner"}!
            This bot gives partners of <b>TheOpenMoney</b> their API key: buy Telegram Stars and Premium for any username through the API and pay in TON.

            {CommandList}
            {links}
            Keep your key secret: anyone who has it can spend your balance. I answer only in this private chat.
            """);
    }

    private string KeyIssued(PartnerKeyService.IssuedKey issued, bool livemode)
    {
        var docs = options.Value.PublicApiUrl?.TrimEnd('/') is { } api
            ? new RawHtml(HtmlText.Format($"\nDocs and Swagger: {api}/swagger"))
            : new RawHtml("");
        var (issue, revoke) = KeyCommandsFor(livemode);
        var mode = livemode
            ? new RawHtml(HtmlText.Format($"Never share it: anyone who has it can spend your balance."))
            : new RawHtml(HtmlText.Format($"Test mode: the same API on simulated money. Pay orders and top up with the /api/v1/sandbox routes; nothing reaches the chain, and your live key sees none of it."));
        return HtmlText.Format($"""
            Your {(livemode ? "" : "test-mode ")}API key (shown only this once; store it now):

            <code>{issued.Plaintext}</code>

            Send it as <code>Authorization: Bearer &lt;key&gt;</code>.{docs}
            Lost it? Send {revoke}, then {issue} for a new one. {mode}
            """);
    }

    private RawHtml GroupPointer() => status.Username is { } username
        ? new RawHtml(HtmlText.Format($"For your safety I answer only in a private chat: open https://t.me/{username} and send /help."))
        : new RawHtml("For your safety I answer only in a private chat with me: open it and send /help.");

    private static bool IsPrivate(Chat chat) => chat.Type == ChatType.Private;

    private Task ReplyAsync(Chat chat, RawHtml html, CancellationToken cancellationToken) => ReplyAsync(chat, html.Value, cancellationToken);

    private Task ReplyAsync(Chat chat, string html, CancellationToken cancellationToken) =>
        SendHtmlAsync(chat, html, protectContent: false, cancellationToken);

    /// <summary>Sends Telegram HTML (values already escaped: see <see cref="HtmlText"/>), link previews off.</summary>
    private async Task SendHtmlAsync(Chat chat, string html, bool protectContent, CancellationToken cancellationToken) =>
        _ = await bot.SendMessage(
            chat.Id,
            html,
            ParseMode.Html,
            linkPreviewOptions: LinkPreviewOptions.Disabled,
            protectContent: protectContent,
            cancellationToken: cancellationToken);

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan span) => span >= TimeSpan.FromMinutes(1)
        ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)Math.Ceiling(span.TotalMinutes))} min")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)Math.Ceiling(span.TotalSeconds))} s");

    [GeneratedRegex("osk_(?:test_)?[0-9A-Za-z]{43}(?![0-9A-Za-z])")]
    private static partial Regex KeyShape();

    [LoggerMessage(Level = LogLevel.Information, Message = "Bot command /{Command} from Telegram user {TelegramUserId}")]
    private static partial void LogCommand(ILogger logger, string command, long telegramUserId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bot issued key {Prefix}… to partner {PartnerId}")]
    private static partial void LogIssued(ILogger logger, long partnerId, string prefix);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bot revoked key {Prefix}… of Telegram user {TelegramUserId}")]
    private static partial void LogRevoked(ILogger logger, long telegramUserId, string? prefix);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The message with key {Prefix}… for partner {PartnerId} was not delivered; the key is revoked")]
    private static partial void LogUndeliveredKeyRevoked(ILogger logger, long partnerId, string prefix);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message in a {ChatType} chat contained an API key (deleted: {Deleted})")]
    private static partial void LogPostedKey(ILogger logger, ChatType chatType, bool deleted);

    /// <summary>One bot command: its name (without the slash), its menu description, and its handler.</summary>
    private sealed record Command(string Name, string Description, Func<BotCommandHandler, Chat, User, CancellationToken, Task> Run, bool InMenu = true);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bot button pressed ({Prefix}) by Telegram user {UserId}")]
    private static partial void LogPress(ILogger logger, string prefix, long userId);
}

using System.Text.RegularExpressions;

namespace TheOpenMoney.Api.Telegram;

/// <summary>How the bot receives updates.</summary>
public enum TelegramMode
{
    /// <summary>No bot (always the case without a token).</summary>
    Disabled,

    /// <summary>Long polling with <c>getUpdates</c>; one poller per deployment.</summary>
    Polling,

    /// <summary>Telegram pushes updates to <c>POST /telegram/webhook</c>.</summary>
    Webhook,
}

/// <summary>Configuration section <c>Telegram</c>.</summary>
public sealed partial class TelegramOptions
{
    public const string Section = "Telegram";

    /// <summary>The bot's token from @BotFather; without it the bot is <see cref="TelegramMode.Disabled"/>.</summary>
    public string? BotToken { get; set; }

    /// <summary>The Bot API server, <c>scheme://host[:port]</c> only; calls go to <c>{ApiBaseUrl}/bot{token}/{method}</c>.</summary>
    public string ApiBaseUrl { get; set; } = "https://api.telegram.org";

    /// <summary><c>Polling</c>, <c>Webhook</c> or <c>Disabled</c>; unset means <c>Polling</c> when a token is set.</summary>
    public TelegramMode? Mode { get; set; }

    /// <summary>Webhook mode: the public HTTPS URL of <c>/telegram/webhook</c> registered with <c>setWebhook</c> at start (unset: registered by hand).</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Webhook mode: the <c>secret_token</c> Telegram sends in <c>X-Telegram-Bot-Api-Secret-Token</c> (1–256 of <c>A-Za-z0-9_-</c>).</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>The API's public base URL, linked from <c>/help</c> (Swagger at <c>{PublicApiUrl}/swagger</c>).</summary>
    public string? PublicApiUrl { get; set; }

    /// <summary><c>getUpdates</c> long-poll timeout (1–50 s; whole seconds are sent).</summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of every other Bot API call (and the margin added to the long poll).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>First delay of the exponential backoff (with jitter) after a failed call.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of that backoff.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts of one outgoing call (<c>sendMessage</c> …) on 429, 5xx and transport failures.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>How often an instance that is not the poller tries to become it.</summary>
    public TimeSpan LeaderRetryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary><c>/api</c> and <c>/revoke</c> per Telegram user per <see cref="KeyCommandsWindow"/>.</summary>
    public int KeyCommandsPerWindow { get; set; } = 3;

    public TimeSpan KeyCommandsWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long handled update ids are kept for deduplication.</summary>
    public TimeSpan UpdateRetention { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Operators' chats (comma-separated ids) told about what needs a person: a reconciliation mismatch, a withdrawal the processor had already.</summary>
    public string? OperatorChatIds { get; set; }

    /// <summary><see cref="OperatorChatIds"/> read: every whole number in it (anything else is ignored).</summary>
    public IReadOnlyList<long> OperatorChats() =>
        [.. (OperatorChatIds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(id => long.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chat) ? (long?)chat : null)
            .OfType<long>()];

    /// <summary>
    /// The Bot API client's resilience handler: a bound on each attempt only (above the long poll). Its
    /// retries follow Telegram's own rules (<c>retry_after</c>, never a 400/403, <see cref="MaxAttempts"/>
    /// in all) in <see cref="RetryingBotClient"/>, so the handler adds none.
    /// </summary>
    public HttpResilienceOptions Http => new()
    {
        MaxRetries = 0,
        CircuitFailureRatio = 0,
        AttemptTimeout = LongPollTimeout + RequestTimeout + TimeSpan.FromSeconds(5),
    };

    /// <summary>The mode in effect: <see cref="TelegramMode.Disabled"/> without a token, else <see cref="Mode"/> (default Polling).</summary>
    public TelegramMode EffectiveMode => string.IsNullOrWhiteSpace(BotToken) ? TelegramMode.Disabled : Mode ?? TelegramMode.Polling;

    /// <summary>Why the settings cannot work, or null when they can (checked at start-up).</summary>
    public string? Problem()
    {
        if (!Uri.TryCreate(ApiBaseUrl, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttps && api.Scheme != Uri.UriSchemeHttp))
        {
            return "Telegram:ApiBaseUrl must be an absolute http(s) URL";
        }

        if (api.AbsolutePath != "/" || api.Query.Length > 0 || api.Fragment.Length > 0)
        {
            // Telegram.Bot keeps only the scheme, host and port: a path would be dropped without a word.
            return "Telegram:ApiBaseUrl must have no path, query or fragment (scheme://host[:port])";
        }

        if (PublicApiUrl is not null && !Uri.TryCreate(PublicApiUrl, UriKind.Absolute, out _))
        {
            return "Telegram:PublicApiUrl must be an absolute URL";
        }

        if (EffectiveMode == TelegramMode.Disabled)
        {
            return null;
        }

        if (!TokenShape().IsMatch(BotToken!))
        {
            return "Telegram:BotToken does not look like a bot token (1–16 digits, a colon, then letters, digits, _ or -)";
        }

        if (LongPollTimeout < TimeSpan.FromSeconds(1) || LongPollTimeout > TimeSpan.FromSeconds(50))
        {
            return "Telegram:LongPollTimeout must be between 1 and 50 seconds";
        }

        if (RequestTimeout <= TimeSpan.Zero || RetryBaseDelay <= TimeSpan.Zero || MaxRetryDelay < RetryBaseDelay
            || LeaderRetryInterval <= TimeSpan.Zero || UpdateRetention < TimeSpan.FromDays(1))
        {
            return "Telegram timing settings are invalid (positive timeouts and delays, MaxRetryDelay ≥ RetryBaseDelay, UpdateRetention ≥ 1 day)";
        }

        if (MaxAttempts is < 1 or > 10 || KeyCommandsPerWindow < 1 || KeyCommandsWindow <= TimeSpan.Zero)
        {
            return "Telegram:MaxAttempts must be 1–10, Telegram:KeyCommandsPerWindow ≥ 1 and Telegram:KeyCommandsWindow positive";
        }

        if (EffectiveMode == TelegramMode.Webhook)
        {
            if (WebhookSecret is null || !SecretShape().IsMatch(WebhookSecret))
            {
                return "Telegram:WebhookSecret is required in Webhook mode: 1–256 characters of A-Z, a-z, 0-9, _ and -";
            }

            if (WebhookUrl is not null && !Uri.TryCreate(WebhookUrl, UriKind.Absolute, out _))
            {
                return "Telegram:WebhookUrl must be an absolute URL";
            }
        }

        return null;
    }

    [GeneratedRegex("^[0-9]{1,16}:[A-Za-z0-9_-]+$")]
    private static partial Regex TokenShape();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,256}$")]
    private static partial Regex SecretShape();
}

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// What kind of failure a Bot API call met: all that health shows of it (<c>last_error</c>). The
/// details (Telegram's description, the transport error) go only into the log.
/// </summary>
public enum BotErrorKind
{
    /// <summary>400: the request was wrong for this chat or message (about one request, not the bot).</summary>
    BadRequest,

    /// <summary>401: the token is not accepted.</summary>
    Unauthorized,

    /// <summary>403: e.g. the user blocked the bot (about one chat, not the bot).</summary>
    Forbidden,

    /// <summary>404: no such method (a wrong <c>ApiBaseUrl</c>, or a token Telegram does not know).</summary>
    NotFound,

    /// <summary>409: another <c>getUpdates</c> poller with this token, or a webhook is set while polling.</summary>
    Conflict,

    /// <summary>429: Telegram asked to slow down (<c>retry_after</c>).</summary>
    RateLimited,

    /// <summary>Any other 4xx.</summary>
    Rejected,

    /// <summary>5xx.</summary>
    ServerError,

    /// <summary>An answer that is not a Bot API envelope.</summary>
    BadResponse,

    /// <summary>No answer: connection refused or lost, DNS, TLS …</summary>
    Transport,

    /// <summary>No answer in time.</summary>
    Timeout,
}

public static class BotErrorKinds
{
    /// <summary>The kind of an <c>error_code</c> (or HTTP status) Telegram answered with.</summary>
    public static BotErrorKind FromStatus(int code) => code switch
    {
        400 => BotErrorKind.BadRequest,
        401 => BotErrorKind.Unauthorized,
        403 => BotErrorKind.Forbidden,
        404 => BotErrorKind.NotFound,
        409 => BotErrorKind.Conflict,
        429 => BotErrorKind.RateLimited,
        >= 500 => BotErrorKind.ServerError,
        >= 200 and < 300 => BotErrorKind.BadResponse,
        _ => BotErrorKind.Rejected,
    };

    /// <summary>Worth trying again: no answer, an unreadable one, 429 or 5xx.</summary>
    public static bool IsTransient(this BotErrorKind kind) =>
        kind is BotErrorKind.Transport or BotErrorKind.Timeout or BotErrorKind.BadResponse or BotErrorKind.RateLimited or BotErrorKind.ServerError;

    /// <summary>Says something about the bot itself (degrades health), unlike a 400/403 about one chat.</summary>
    public static bool IsAboutTheBot(this BotErrorKind kind) => kind is not (BotErrorKind.BadRequest or BotErrorKind.Forbidden);

    /// <summary>The name health shows: <c>rate_limited</c>, <c>server_error</c> …</summary>
    public static string ToText(this BotErrorKind kind) => kind switch
    {
        BotErrorKind.BadRequest => "bad_request",
        BotErrorKind.Unauthorized => "unauthorized",
        BotErrorKind.Forbidden => "forbidden",
        BotErrorKind.NotFound => "not_found",
        BotErrorKind.Conflict => "conflict",
        BotErrorKind.RateLimited => "rate_limited",
        BotErrorKind.Rejected => "rejected",
        BotErrorKind.ServerError => "server_error",
        BotErrorKind.BadResponse => "bad_response",
        BotErrorKind.Transport => "transport",
        BotErrorKind.Timeout => "timeout",
        _ => "unknown",
    };
}

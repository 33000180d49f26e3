namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// A Bot API call failed: Telegram answered <c>ok: false</c> (<see cref="ErrorCode"/> set), or there
/// was no usable answer (transport failure, timeout, unreadable body: <see cref="ErrorCode"/> null).
/// The message names the method only: never the URL, which carries the token.
/// </summary>
public sealed class BotApiException : Exception
{
    public BotApiException(string method, int? errorCode, string description, TimeSpan? retryAfter = null)
        : base($"Bot API {method} failed: {(errorCode is { } code ? code + " " : "")}{description}")
    {
        Method = method;
        ErrorCode = errorCode;
        RetryAfter = retryAfter;
    }

    public BotApiException()
        : this("?", null, "unknown failure")
    {
    }

    public BotApiException(string message)
        : this("?", null, message)
    {
    }

    public BotApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Method = "?";
    }

    public string Method { get; }

    /// <summary>Telegram's <c>error_code</c> (or the HTTP status); null when no answer came.</summary>
    public int? ErrorCode { get; }

    /// <summary><c>parameters.retry_after</c> of a 429.</summary>
    public TimeSpan? RetryAfter { get; }

    public bool IsRateLimited => ErrorCode == 429;

    /// <summary>409: another <c>getUpdates</c> poller is running, or a webhook is set while polling.</summary>
    public bool IsConflict => ErrorCode == 409;

    /// <summary>Worth retrying: no answer, 429, or a server error.</summary>
    public bool IsTransient => ErrorCode is null or 429 or >= 500;
}

namespace TheOpenMoney.Api.Telegram;

/// <summary>What the bot last did, for health: its identity, last successful Bot API call and last error.</summary>
public sealed class BotStatus
{
    private readonly object _gate = new();

    /// <summary>The bot's @username from <c>getMe</c> (without @); null until known.</summary>
    public string? Username { get; private set; }

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public DateTimeOffset? LastErrorAt { get; private set; }

    /// <summary>The kind of the last failure (its details are only logged).</summary>
    public BotErrorKind? LastError { get; private set; }

    /// <summary>
    /// The last failure that says something about the bot itself (transport, 5xx, 429, 401, 409 …),
    /// not about one request (400 bad request, 403 a user blocked the bot).
    /// </summary>
    public DateTimeOffset? LastServiceErrorAt { get; private set; }

    /// <summary>The start-up sequence (<see cref="TelegramBotStartUp"/>) has succeeded: updates may be polled.</summary>
    public bool IsStartedUp { get; private set; }

    public void Identified(string? username)
    {
        lock (_gate)
        {
            Username = username;
        }
    }

    public void Succeeded(DateTimeOffset at)
    {
        lock (_gate)
        {
            LastSuccessAt = at;
        }
    }

    public void Failed(DateTimeOffset at, BotErrorKind error)
    {
        lock (_gate)
        {
            LastErrorAt = at;
            LastError = error;
            if (error.IsAboutTheBot())
            {
                LastServiceErrorAt = at;
            }
        }
    }

    public void StartedUp()
    {
        lock (_gate)
        {
            IsStartedUp = true;
        }
    }

    /// <summary>A consistent copy.</summary>
    public BotStatusSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new BotStatusSnapshot(Username, LastSuccessAt, LastErrorAt, LastError, LastServiceErrorAt);
        }
    }
}

public sealed record BotStatusSnapshot(
    string? Username,
    DateTimeOffset? LastSuccessAt,
    DateTimeOffset? LastErrorAt,
    BotErrorKind? LastError,
    DateTimeOffset? LastServiceErrorAt);

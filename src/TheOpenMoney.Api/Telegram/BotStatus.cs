namespace TheOpenMoney.Api.Telegram;

/// <summary>What the bot last did, for health: its identity, last successful Bot API call and last error.</summary>
public sealed class BotStatus
{
    private readonly object _gate = new();

    /// <summary>The bot's @username from <c>getMe</c> (without @); null until known.</summary>
    public string? Username { get; private set; }

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public DateTimeOffset? LastErrorAt { get; private set; }

    /// <summary>A short description of the last failure; never contains the token.</summary>
    public string? LastError { get; private set; }

    /// <summary>Polling mode: this instance holds the poller lock.</summary>
    public bool IsPollingLeader { get; private set; }

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

    public void Failed(DateTimeOffset at, string error)
    {
        lock (_gate)
        {
            LastErrorAt = at;
            LastError = error;
        }
    }

    public void Leader(bool isLeader)
    {
        lock (_gate)
        {
            IsPollingLeader = isLeader;
        }
    }

    /// <summary>A consistent copy.</summary>
    public (string? Username, DateTimeOffset? LastSuccessAt, DateTimeOffset? LastErrorAt, string? LastError, bool IsPollingLeader) Snapshot()
    {
        lock (_gate)
        {
            return (Username, LastSuccessAt, LastErrorAt, LastError, IsPollingLeader);
        }
    }
}

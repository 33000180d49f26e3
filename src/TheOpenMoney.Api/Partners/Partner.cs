namespace TheOpenMoney.Api.Partners;

/// <summary>A reseller. Identified by the Telegram user who asked the bot for a key, never by username.</summary>
public sealed class Partner
{
    public long Id { get; set; }

    public long TelegramUserId { get; set; }

    public string? Username { get; set; }

    /// <summary>False for a test twin: the partner behind <c>osk_test_</c> keys, whose money is simulated.</summary>
    public bool Livemode { get; set; } = true;

    /// <summary>For a test twin, the live partner it belongs to.</summary>
    public long? LivePartnerId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An <c>osk_</c> key. Only its HMAC is stored; <see cref="Prefix"/> is for display.</summary>
public sealed class ApiKey
{
    public long Id { get; set; }

    public long PartnerId { get; set; }

    public Partner? Partner { get; set; }

    public byte[] KeyHash { get; set; } = [];

    public string Prefix { get; set; } = "";

    /// <summary>False for an <c>osk_test_</c> key (its partner is a test twin).</summary>
    public bool Livemode { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

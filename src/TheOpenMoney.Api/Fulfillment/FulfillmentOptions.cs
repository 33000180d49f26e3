namespace TheOpenMoney.Api.Fulfillment;

/// <summary>Configuration section <c>Fulfillment</c>.</summary>
public sealed class FulfillmentOptions
{
    public const string Section = "Fulfillment";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Orders claimed per pass.</summary>
    public int BatchSize { get; set; } = 20;

    /// <summary>How long a claimed order belongs to its worker; past it, another worker may recover it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Delivery attempts before the order fails (and is refunded).</summary>
    public int MaxAttempts { get; set; } = 6;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Turns the background worker off (the API still accepts and pays orders).</summary>
    public bool Enabled { get; set; } = true;
}

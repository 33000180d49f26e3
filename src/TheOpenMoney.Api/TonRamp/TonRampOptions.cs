namespace TheOpenMoney.Api.TonRamp;

/// <summary>Configuration section <c>TonRamp</c>.</summary>
public sealed class TonRampOptions
{
    public const string Section = "TonRamp";

    /// <summary>e.g. <c>https://api.tonramp.io</c>; when empty, <c>payment_method: tonramp</c> is refused with 503.</summary>
    public string? BaseUrl { get; set; }

    public string? MerchantId { get; set; }

    /// <summary>Sent as <c>X-API-Key</c> when set.</summary>
    public string? ApiKey { get; set; }

    /// <summary>TonRamp's published limits; our client never goes above them (in any 60 s window).</summary>
    public int GeneratePerMinute { get; set; } = 30;

    public int StatusPerMinute { get; set; } = 60;

    /// <summary>How often open TonRamp orders have their status refreshed.</summary>
    public TimeSpan StatusRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    public HttpResilienceOptions Http { get; set; } = new() { AttemptTimeout = TimeSpan.FromSeconds(5), MaxRetries = 1 };

    public bool Enabled => !string.IsNullOrWhiteSpace(BaseUrl) && !string.IsNullOrWhiteSpace(MerchantId);
}

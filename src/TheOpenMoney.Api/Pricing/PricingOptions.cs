using TheOpenMoney.Api.Infrastructure.Http;

namespace TheOpenMoney.Api.Pricing;

/// <summary>Configuration section <c>Pricing</c>.</summary>
public sealed class PricingOptions
{
    public const string Section = "Pricing";

    /// <summary>A fixed TON/USD rate. When set, the HTTP rate source is not used.</summary>
    public decimal? TonUsdRate { get; set; }

    public decimal StarUsd { get; set; } = 0.015m;

    /// <summary>USD price per Premium plan, by months.</summary>
    public Dictionary<int, decimal> PremiumUsd { get; set; } = new() { [3] = 11.99m, [6] = 15.99m, [12] = 28.99m };

    public decimal FeePercent { get; set; }

    public int StarsMin { get; set; } = 50;

    public int StarsMax { get; set; } = 10_000;

    /// <summary><c>price_ton</c> is rounded up to a multiple of this.</summary>
    public decimal TonRoundingStep { get; set; } = 0.001m;

    public RateSourceOptions RateSource { get; set; } = new();
}

/// <summary>The HTTP TON/USD source (<c>Pricing:RateSource</c>): any JSON endpoint, with the path to the number.</summary>
public sealed class RateSourceOptions
{
    /// <summary>e.g. <c>https://api.coingecko.com/api/v3/simple/price?ids=the-open-network&amp;vs_currencies=usd</c>.</summary>
    public string? Url { get; set; }

    /// <summary>Dot-separated path to the rate in the JSON answer, e.g. <c>the-open-network.usd</c>.</summary>
    public string JsonPath { get; set; } = "the-open-network.usd";

    /// <summary>A fetched rate is reused this long.</summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>While the source fails, the last rate is still used this long after it was fetched.</summary>
    public TimeSpan MaxStale { get; set; } = TimeSpan.FromMinutes(10);

    public HttpResilienceOptions Http { get; set; } = new() { AttemptTimeout = TimeSpan.FromSeconds(3), MaxRetries = 2 };
}

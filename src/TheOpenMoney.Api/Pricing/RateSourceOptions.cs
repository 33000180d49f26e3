namespace TheOpenMoney.Api.Pricing;

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

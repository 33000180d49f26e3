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

    /// <summary>USDT per USD price (<c>price_usdt</c> = USD price × this); a USD-pegged coin, so 1.0 unless it drifts.</summary>
    public decimal UsdtUsdRate { get; set; } = 1.0m;

    /// <summary><c>price_usdt</c> is rounded up to whole cents.</summary>
    public const decimal UsdtRoundingStep = 0.01m;

    public RateSourceOptions RateSource { get; set; } = new();
}


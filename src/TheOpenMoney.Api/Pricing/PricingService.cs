namespace TheOpenMoney.Api.Pricing;

/// <summary>A price, with everything it was computed from; locked into an order when the order is created.</summary>
public sealed record PriceQuote(
    OrderType OrderType,
    int? StarsAmount,
    int? PremiumMonths,
    decimal BaseUsd,
    decimal FeePercent,
    decimal FeeUsd,
    decimal PriceUsd,
    TonRate Rate,
    long PriceNanoton,
    Amount<Usdt> PriceUsdt);

/// <summary>
/// Prices in exact decimal arithmetic: USD = stars × USD per star (or the Premium plan's price) plus
/// the fee; TON = USD ÷ rate, rounded up to <see cref="PricingOptions.TonRoundingStep"/>; USDT = USD ×
/// <see cref="PricingOptions.UsdtUsdRate"/>, rounded up to <see cref="PricingOptions.UsdtRoundingStep"/> (0.01).
/// </summary>
public sealed class PricingService(ITonUsdRateSource rates, IOptions<PricingOptions> options)
{
    public PricingOptions Settings => options.Value;

    public async Task<PriceQuote> QuoteStarsAsync(int quantity, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        return Quote(OrderType.Stars, quantity, null, quantity * settings.StarUsd, await rates.GetRateAsync(cancellationToken));
    }

    public async Task<PriceQuote> QuotePremiumAsync(int months, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        return Quote(OrderType.Premium, null, months, settings.PremiumUsd[months], await rates.GetRateAsync(cancellationToken));
    }

    private PriceQuote Quote(OrderType type, int? stars, int? months, decimal baseUsd, TonRate rate)
    {
        var settings = options.Value;
        var feeUsd = decimal.Round(baseUsd * settings.FeePercent / 100m, 6, MidpointRounding.AwayFromZero);
        var priceUsd = baseUsd + feeUsd;
        var priceTon = TonAmount.CeilingTo(priceUsd / rate.TonUsd, settings.TonRoundingStep);
        var priceUsdt = Amount<Usdt>.CeilingOfCoins(priceUsd * settings.UsdtUsdRate, PricingOptions.UsdtRoundingStep);
        return new PriceQuote(type, stars, months, baseUsd, settings.FeePercent, feeUsd, priceUsd, rate, TonAmount.ToNano(priceTon), priceUsdt);
    }
}

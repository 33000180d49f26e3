using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Validation;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Pricing;

/// <summary>Rates, fees and price estimates.</summary>
[ApiController]
[Route("api/v1/pricing")]
[Tags("Pricing")]
[Produces("application/json")]
public sealed class PricingController(PricingService pricing, ITonUsdRateSource rates, IOptions<OrderOptions> orders, IOptions<UsdtOptions> usdt) : ControllerBase
{
    /// <summary>Current TON/USD rate.</summary>
    [HttpGet("ton-rate", Name = "getTonRate")]
    [Fails(StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<ApiResponse<TonRateResponse>>> TonRate(CancellationToken cancellationToken)
    {
        var rate = await rates.GetRateAsync(cancellationToken);
        return Ok(ApiResponse.Of(new TonRateResponse(rate.TonUsd, rate.Source, rate.UpdatedAt)));
    }

    /// <summary>Service fees and min/max limits.</summary>
    [HttpGet("fee", Name = "getFees")]
    public ActionResult<ApiResponse<FeeResponse>> Fee()
    {
        var settings = pricing.Settings;
        return Ok(ApiResponse.Of(new FeeResponse(
            settings.FeePercent,
            new StarsLimits(settings.StarsMin, settings.StarsMax, settings.StarUsd),
            settings.PremiumUsd.OrderBy(p => p.Key).Select(p => new PremiumPlan(p.Key, p.Value)).ToList(),
            (int)orders.Value.Ttl.TotalSeconds,
            EnumText<PaymentMethod>.All.ToList(),
            usdt.Value.Enabled ? [.. PaymentCurrencies.All] : [PaymentCurrencies.Ton],
            TonAmount.Trim(settings.TonRoundingStep),
            new Nanoton(TonAmount.ToNano(settings.TonRoundingStep)))));
    }

    /// <summary>Estimate a Stars price in TON.</summary>
    [HttpGet("estimate/stars", Name = "estimateStars")]
    [Fails(StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<ApiResponse<EstimateResponse>>> EstimateStars([FromQuery] StarsEstimateQuery query, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(EstimateResponse.From(await pricing.QuoteStarsAsync(query.Quantity!.Value, cancellationToken))));

    /// <summary>Estimate a Premium price in TON.</summary>
    [HttpGet("estimate/premium", Name = "estimatePremium")]
    [Fails(StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<ApiResponse<EstimateResponse>>> EstimatePremium([FromQuery] PremiumEstimateQuery query, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(EstimateResponse.From(await pricing.QuotePremiumAsync(query.Months!.Value, cancellationToken))));
}

public sealed class StarsEstimateQuery
{
    /// <summary>Number of Stars (default limits 50–10,000).</summary>
    /// <example>100</example>
    [FromQuery(Name = "quantity")]
    [ContractRequired]
    public int? Quantity { get; set; }
}

public sealed class PremiumEstimateQuery
{
    /// <summary>Plan length: 3, 6 or 12 months.</summary>
    /// <example>3</example>
    [FromQuery(Name = "months")]
    [ContractRequired]
    public int? Months { get; set; }
}

internal sealed class StarsEstimateQueryValidator : AbstractValidator<StarsEstimateQuery>
{
    public StarsEstimateQueryValidator(IOptions<PricingOptions> options) =>
        RuleFor(q => q.Quantity).StarsQuantity(options.Value);
}

internal sealed class PremiumEstimateQueryValidator : AbstractValidator<PremiumEstimateQuery>
{
    public PremiumEstimateQueryValidator(IOptions<PricingOptions> options) =>
        RuleFor(q => q.Months).PremiumMonths(options.Value);
}

/// <summary>Rules shared by estimates and orders, with the contract's messages.</summary>
public static class PricingRules
{
    /// <summary>The document's shared schema of the Premium plan lengths (the configured plans).</summary>
    public const string PremiumMonthsSchema = "PremiumMonths";

    public static IRuleBuilderOptions<T, int?> StarsQuantity<T>(this IRuleBuilder<T, int?> rule, PricingOptions settings) =>
        rule.NotNull().WithMessage("quantity is required")
            .InclusiveBetween(settings.StarsMin, settings.StarsMax)
            .WithMessage($"quantity must be between {settings.StarsMin} and {settings.StarsMax}");

    public static IRuleBuilderOptions<T, int?> PremiumMonths<T>(this IRuleBuilder<T, int?> rule, PricingOptions settings)
    {
        var plans = settings.PremiumUsd.Keys.Order().ToList();
        var allowed = plans.Count > 1 ? $"{string.Join(", ", plans.SkipLast(1))} or {plans[^1]}" : string.Join("", plans);
        return rule.NotNull().WithMessage("months is required")
            .OneOf(plans.Select(p => (int?)p), PremiumMonthsSchema)
            .WithMessage($"months must be {allowed}");
    }
}

/// <param name="TonUsd">USD per TON.</param>
/// <param name="Source">Where the rate came from (<c>fixed</c> or the source's host).</param>
/// <param name="UpdatedAt">When the rate was fetched.</param>
public sealed record TonRateResponse(decimal TonUsd, string Source, DateTimeOffset UpdatedAt);

/// <param name="FeePercent">Service fee added to the USD price, in percent.</param>
/// <param name="Stars">Stars limits and price.</param>
/// <param name="Premium">Premium plans and prices.</param>
/// <param name="OrderTtlSeconds">How long a <c>ton_memo</c> order waits for its payment.</param>
/// <param name="PaymentMethods">Accepted <c>payment_method</c> values.</param>
/// <param name="PaymentCurrencies">Accepted <c>payment_currency</c> values.</param>
/// <param name="TonRoundingStep"><c>price_ton</c> is rounded up to a multiple of this.</param>
/// <param name="NanotonRoundingStep"><c>ton_rounding_step</c> in nanoTON, exact, as a string.</param>
public sealed record FeeResponse(
    decimal FeePercent,
    StarsLimits Stars,
    IReadOnlyList<PremiumPlan> Premium,
    int OrderTtlSeconds,
    IReadOnlyList<string> PaymentMethods,
    IReadOnlyList<string> PaymentCurrencies,
    decimal TonRoundingStep,
    Nanoton NanotonRoundingStep);

/// <param name="Min">Smallest order.</param>
/// <param name="Max">Largest order.</param>
/// <param name="UsdPerStar">Price of one Star in USD, before the fee.</param>
public sealed record StarsLimits(int Min, int Max, decimal UsdPerStar);

/// <param name="Months">Plan length.</param>
/// <param name="PriceUsd">Price in USD, before the fee.</param>
public sealed record PremiumPlan(int Months, decimal PriceUsd);

/// <param name="OrderType"><c>stars</c> or <c>premium</c>.</param>
/// <param name="StarsAmount">Stars, for a Stars estimate.</param>
/// <param name="PremiumMonths">Months, for a Premium estimate.</param>
/// <param name="BaseUsd">Price before the fee.</param>
/// <param name="FeePercent">Fee in percent.</param>
/// <param name="FeeUsd">Fee in USD.</param>
/// <param name="PriceUsd">Price with the fee.</param>
/// <param name="PriceTon">Price in TON, rounded up.</param>
/// <param name="PriceNanoton"><c>price_ton</c> in nanoTON (1 TON = 10⁹), exact, as a string.</param>
/// <param name="TonUsdRate">Rate used.</param>
/// <param name="RateSource">Where the rate came from.</param>
/// <param name="RateUpdatedAt">When the rate was fetched.</param>
/// <param name="PriceUsdt">Price in USDT (<c>price_usd</c> × the USDT/USD rate, rounded up to a cent): what a <c>payment_currency: USDT</c> order would cost.</param>
/// <param name="PriceUsdtUnits"><c>price_usdt</c> in base units (1 USDT = 10⁶), exact, as a string.</param>
public sealed record EstimateResponse(
    [property: TextValues(typeof(OrderType))] string OrderType,
    int? StarsAmount,
    int? PremiumMonths,
    decimal BaseUsd,
    decimal FeePercent,
    decimal FeeUsd,
    decimal PriceUsd,
    decimal PriceTon,
    Nanoton PriceNanoton,
    decimal TonUsdRate,
    string RateSource,
    DateTimeOffset RateUpdatedAt,
    decimal PriceUsdt,
    BaseUnits PriceUsdtUnits)
{
    public static EstimateResponse From(PriceQuote quote)
    {
        ArgumentNullException.ThrowIfNull(quote);
        return new(
            EnumText<OrderType>.ToText(quote.OrderType),
            quote.StarsAmount,
            quote.PremiumMonths,
            TonAmount.Trim(quote.BaseUsd),
            TonAmount.Trim(quote.FeePercent),
            TonAmount.Trim(quote.FeeUsd),
            TonAmount.Trim(quote.PriceUsd),
            TonAmount.FromNano(quote.PriceNanoton),
            new Nanoton(quote.PriceNanoton),
            TonAmount.Trim(quote.Rate.TonUsd),
            quote.Rate.Source,
            quote.Rate.UpdatedAt,
            quote.PriceUsdt.Coins,
            new BaseUnits(quote.PriceUsdt.Units));
    }
}

using System.Globalization;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Infrastructure.Json;
using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Tests.Pricing;

/// <summary>
/// Every price the API can quote is exact in both forms it is written in: <c>price_nanoton</c> is the
/// decimal <c>price_ton</c> × 10⁹, digit for digit, for every Stars quantity in the configured range and every
/// Premium plan, at several TON/USD rates (in the JSON the API writes); and over HTTP for the edges and a
/// spread of quantities, in estimates and in the orders themselves (with the TON Connect amount and the link).
/// </summary>
public sealed class ExactPriceTests(ExactPriceTests.Factory factory) : IClassFixture<ExactPriceTests.Factory>
{
    /// <summary>Rates with many digits and ones far apart, so the rounding up to 0.001 TON meets every case.</summary>
    private static readonly string[] RateTexts = ["3.6", "1.23456789", "0.7", "7.77", "2.512", "0.0123"];

    public static TheoryData<string> Rates => new(RateTexts);

    public sealed class Factory : ApiFactory
    {
        public PricingTests.MutableRate Rate { get; } = new() { Value = 1.23456789m };

        protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<ITonUsdRateSource>(Rate);
    }

    private sealed class FixedRate(decimal rate) : ITonUsdRateSource
    {
        public Task<TonRate> GetRateAsync(CancellationToken cancellationToken) => Task.FromResult(new TonRate(rate, "test", DateTimeOffset.UnixEpoch));
    }

    [Theory]
    [MemberData(nameof(Rates))]
    public async Task Every_quotable_price_is_written_with_an_exact_nanoton_twin(string rate)
    {
        var settings = factory.Services.GetRequiredService<IOptions<PricingOptions>>();
        var pricing = new PricingService(new FixedRate(decimal.Parse(rate, CultureInfo.InvariantCulture)), settings);
        var quotes = new List<PriceQuote>();
        for (var quantity = settings.Value.StarsMin; quantity <= settings.Value.StarsMax; quantity++)
        {
            quotes.Add(await pricing.QuoteStarsAsync(quantity, CancellationToken.None));
        }

        foreach (var months in settings.Value.PremiumUsd.Keys)
        {
            quotes.Add(await pricing.QuotePremiumAsync(months, CancellationToken.None));
        }

        foreach (var quote in quotes)
        {
            // What the API writes for an estimate, read back from the JSON text as a client would.
            using var json = JsonDocument.Parse(JsonSerializer.Serialize(ApiResponse.Of(EstimateResponse.From(quote)), JsonDefaults.Shared));
            var data = json.RootElement.GetProperty("data");
            Assert.Equal(quote.PriceNanoton, MoneyTwins.NanoOf(data.GetProperty("price_ton")));
            Assert.Equal(quote.PriceNanoton.ToString(CultureInfo.InvariantCulture), data.GetProperty("price_nanoton").GetString());
            Assert.Equal(0, quote.PriceNanoton % 1_000_000); // rounded up to 0.001 TON
        }

        Assert.Equal(settings.Value.StarsMax - settings.Value.StarsMin + 1 + settings.Value.PremiumUsd.Count, quotes.Count);
    }

    [Theory]
    [MemberData(nameof(Rates))]
    public async Task Estimates_and_orders_over_http_carry_the_exact_twin(string rate)
    {
        factory.Rate.Value = decimal.Parse(rate, CultureInfo.InvariantCulture);
        var partner = await PartnerApi.CreateAsync(factory, 72_000 + Array.IndexOf(RateTexts, rate));
        var quantities = Enumerable.Range(50, 12).Concat(Enumerable.Range(9_990, 11)).Concat(Enumerable.Range(0, 60).Select(i => 61 + (i * 163))).ToList();
        foreach (var quantity in quantities)
        {
            var estimate = await (await partner.Client.GetAsync($"/api/v1/pricing/estimate/stars?quantity={quantity}")).AssertOkAsync();
            Assert.Contains("price_ton", MoneyTwins.AssertExact(estimate));
        }

        foreach (var months in new[] { 3, 6, 12 })
        {
            var estimate = await (await partner.Client.GetAsync($"/api/v1/pricing/estimate/premium?months={months}")).AssertOkAsync();
            Assert.Contains("price_ton", MoneyTwins.AssertExact(estimate));
            var order = await (await partner.CreatePremiumAsync(months: months)).AssertOkAsync();
            AssertOrderPricedExactly(order, estimate);
        }

        foreach (var quantity in new[] { 50, 51, 333, 9_999, 10_000 })
        {
            var estimate = await (await partner.Client.GetAsync($"/api/v1/pricing/estimate/stars?quantity={quantity}")).AssertOkAsync();
            var order = await partner.CreatedStarsOrderAsync(quantity: quantity);
            AssertOrderPricedExactly(order, estimate);
        }
    }

    private static void AssertOrderPricedExactly(JsonElement order, JsonElement estimate)
    {
        MoneyTwins.AssertExact(order);
        var nano = order.GetProperty("price_nanoton").GetString()!;
        Assert.Equal(estimate.GetProperty("price_nanoton").GetString(), nano);
        Assert.Equal(nano, order.GetProperty("payment_request").GetProperty("messages")[0].GetProperty("amount").GetString());
        Assert.Contains($"?amount={nano}&", order.GetProperty("payment_link").GetString(), StringComparison.Ordinal);
    }
}

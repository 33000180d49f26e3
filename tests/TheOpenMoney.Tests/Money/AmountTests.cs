using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Money;
using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Tests.Money;

/// <summary>
/// Amounts carry their currency in their type (issue 27): exact base units, TON with 9 decimals and USDT with 6, no
/// operator between two currencies, and USDT prices quoted from the USD price.
/// </summary>
public sealed class AmountTests
{
    [Fact]
    public void Each_currency_counts_its_own_base_units_exactly()
    {
        Assert.Equal(1_000_000_000, Amount<Ton>.UnitsPerCoin);
        Assert.Equal(1_000_000, Amount<Usdt>.UnitsPerCoin);
        Assert.Equal(417_000_000, Amount<Ton>.OfCoins(0.417m).Units);
        Assert.Equal(1_500_000, Amount<Usdt>.OfCoins(1.5m).Units);
        Assert.Equal(1.5m, Amount<Usdt>.OfCoins(1.5m).Coins);
        Assert.Equal("1.5", Amount<Usdt>.OfCoins(1.500000m).Coins.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("1500000", Amount<Usdt>.OfCoins(1.5m).UnitsText);
        Assert.Equal("1.5 USDT", Amount<Usdt>.OfCoins(1.5m).ToString());
        Assert.Equal("0.000000001 TON", new Amount<Ton>(1).ToString());

        // More fraction digits than the currency has is an error, never a silent rounding.
        Assert.Throws<ArgumentOutOfRangeException>(() => Amount<Usdt>.OfCoins(0.0000001m));
        Assert.Equal(1, Amount<Ton>.OfCoins(0.000000001m).Units);
    }

    [Fact]
    public void Amounts_of_one_currency_add_and_compare_and_overflow_throws()
    {
        var a = Amount<Usdt>.OfCoins(1.25m);
        var b = Amount<Usdt>.OfCoins(0.75m);

        Assert.Equal(Amount<Usdt>.OfCoins(2m), a + b);
        Assert.Equal(Amount<Usdt>.OfCoins(0.5m), a - b);
        Assert.True(a > b && b < a && a >= Amount<Usdt>.OfCoins(1.25m) && b <= a);
        Assert.Equal([b, a], new[] { a, b }.Order().ToArray());
        Assert.Throws<OverflowException>(() => new Amount<Ton>(long.MaxValue) + new Amount<Ton>(1));
    }

    [Fact]
    public void No_operator_takes_two_currencies()
    {
        // Every operator of Amount<T> takes only Amount<T>: Amount<Ton> + Amount<Usdt> has nothing to bind to.
        foreach (var type in new[] { typeof(Amount<Ton>), typeof(Amount<Usdt>) })
        {
            var operators = type.GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.Name.StartsWith("op_", StringComparison.Ordinal)).ToList();
            Assert.Contains(operators, m => m.Name == "op_Addition");
            Assert.All(operators, m => Assert.All(m.GetParameters(), p => Assert.Equal(type, p.ParameterType)));
        }

        Assert.NotEqual<object>(new Amount<Ton>(5), new Amount<Usdt>(5));
    }

    [Fact]
    public void Prices_round_up_to_the_step()
    {
        Assert.Equal(Amount<Usdt>.OfCoins(1.54m), Amount<Usdt>.CeilingOfCoins(1.5375m, 0.01m));
        Assert.Equal(Amount<Usdt>.OfCoins(1.5m), Amount<Usdt>.CeilingOfCoins(1.5m, 0.01m));
        Assert.Equal(Amount<Ton>.OfCoins(0.417m), Amount<Ton>.CeilingOfCoins(1.5m / 3.6m, 0.001m));
    }

    [Theory]
    [InlineData("1.0", "0", 100, null, "1.5")]
    [InlineData("1.0", "2.5", 100, null, "1.54")]   // 1.5375 USD → 1.54 USDT
    [InlineData("1.0", "0", null, 12, "28.99")]
    [InlineData("0.998", "0", null, 3, "11.97")]    // 11.96602 → 11.97
    [InlineData("1.0", "0", 10_000, null, "150")]
    public async Task Usdt_prices_are_the_usd_price_times_the_rate_rounded_up_to_a_cent(string usdtUsdRate, string feePercent, int? stars, int? months, string expected)
    {
        var settings = new PricingOptions
        {
            UsdtUsdRate = decimal.Parse(usdtUsdRate, CultureInfo.InvariantCulture),
            FeePercent = decimal.Parse(feePercent, CultureInfo.InvariantCulture),
        };
        var pricing = new PricingService(new FixedRate(3.6m), Options.Create(settings));

        var quote = stars is { } quantity
            ? await pricing.QuoteStarsAsync(quantity, CancellationToken.None)
            : await pricing.QuotePremiumAsync(months!.Value, CancellationToken.None);

        Assert.Equal(decimal.Parse(expected, CultureInfo.InvariantCulture), quote.PriceUsdt.Coins);
        Assert.Equal(0, quote.PriceUsdt.Units % 10_000); // whole cents
        Assert.True(quote.PriceUsdt.Coins >= quote.PriceUsd * settings.UsdtUsdRate);
    }

    private sealed class FixedRate(decimal rate) : ITonUsdRateSource
    {
        public Task<TonRate> GetRateAsync(CancellationToken cancellationToken) => Task.FromResult(new TonRate(rate, "test", DateTimeOffset.UnixEpoch));
    }
}

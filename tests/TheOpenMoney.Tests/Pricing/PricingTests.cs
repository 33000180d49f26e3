using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Tests.Pricing;

public sealed class PricingTests(PricingTests.Factory factory) : IClassFixture<PricingTests.Factory>
{
    /// <summary>A rate the test can change, to show that an order's quote is locked at creation.</summary>
    public sealed class MutableRate : ITonUsdRateSource
    {
        public decimal Value { get; set; } = 3.6m;

        public Task<TonRate> GetRateAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new TonRate(Value, "test", DateTimeOffset.UtcNow));
    }

    public sealed class Factory : ApiFactory
    {
        public MutableRate Rate { get; } = new();

        protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<ITonUsdRateSource>(Rate);
    }

    [Fact]
    public async Task Fee_lists_limits_plans_ttl_and_methods()
    {
        var partner = await PartnerApi.CreateAsync(factory);

        var fee = await (await partner.Client.GetAsync("/api/v1/pricing/fee")).AssertOkAsync();

        Assert.Equal(0m, fee.GetProperty("fee_percent").GetDecimal());
        Assert.Equal(50, fee.GetProperty("stars").GetProperty("min").GetInt32());
        Assert.Equal(10_000, fee.GetProperty("stars").GetProperty("max").GetInt32());
        Assert.Equal(0.015m, fee.GetProperty("stars").GetProperty("usd_per_star").GetDecimal());
        Assert.Equal(
            [(3, 11.99m), (6, 15.99m), (12, 28.99m)],
            fee.GetProperty("premium").EnumerateArray().Select(p => (p.GetProperty("months").GetInt32(), p.GetProperty("price_usd").GetDecimal())).ToArray());
        Assert.Equal(900, fee.GetProperty("order_ttl_seconds").GetInt32());
        Assert.Equal(["ton_memo", "balance", "tonramp"], fee.GetProperty("payment_methods").EnumerateArray().Select(m => m.GetString()!).ToArray());
    }

    [Fact]
    public async Task Estimates_price_in_usd_and_ton_with_the_rate_used()
    {
        factory.Rate.Value = 3.6m;
        var partner = await PartnerApi.CreateAsync(factory);

        var stars = await (await partner.Client.GetAsync("/api/v1/pricing/estimate/stars?quantity=100")).AssertOkAsync();
        var premium = await (await partner.Client.GetAsync("/api/v1/pricing/estimate/premium?months=6")).AssertOkAsync();

        Assert.Equal(1.5m, stars.GetProperty("price_usd").GetDecimal());
        Assert.Equal(0.417m, stars.GetProperty("price_ton").GetDecimal());
        Assert.Equal(3.6m, stars.GetProperty("ton_usd_rate").GetDecimal());
        Assert.Equal(0m, stars.GetProperty("fee_usd").GetDecimal());
        Assert.Equal(15.99m, premium.GetProperty("price_usd").GetDecimal());
        Assert.Equal(4.442m, premium.GetProperty("price_ton").GetDecimal()); // 15.99 / 3.6 = 4.4416… → 4.442
    }

    [Theory]
    [InlineData("/api/v1/pricing/estimate/stars?quantity=49", "quantity must be between 50 and 10000")]
    [InlineData("/api/v1/pricing/estimate/stars", "quantity is required")]
    [InlineData("/api/v1/pricing/estimate/premium?months=5", "months must be 3, 6 or 12")]
    [InlineData("/api/v1/pricing/estimate/premium", "months is required")]
    public async Task Invalid_estimate_is_422(string url, string message)
    {
        var partner = await PartnerApi.CreateAsync(factory);

        var error = await (await partner.Client.GetAsync(url)).AssertErrorAsync(422, ErrorCodes.ValidationError);

        Assert.Equal(message, error.GetProperty("error_message").GetString());
    }

    [Fact]
    public async Task The_quote_is_locked_into_the_order_when_the_rate_changes()
    {
        factory.Rate.Value = 3.6m;
        var partner = await PartnerApi.CreateAsync(factory);
        var order = await partner.CreatedStarsOrderAsync();

        factory.Rate.Value = 5m;
        var later = await (await partner.Client.GetAsync($"/api/v1/orders/{order.GetProperty("id").GetInt64()}")).AssertOkAsync();
        var estimate = await (await partner.Client.GetAsync("/api/v1/pricing/estimate/stars?quantity=100")).AssertOkAsync();
        factory.Rate.Value = 3.6m;

        Assert.Equal(0.417m, later.GetProperty("price_ton").GetDecimal());
        Assert.Equal(3.6m, later.GetProperty("ton_usd_rate").GetDecimal());
        Assert.Equal(0.3m, estimate.GetProperty("price_ton").GetDecimal());
    }

    [Theory]
    [InlineData(100, "3", "0.5")]          // exact: no rounding
    [InlineData(100, "3.6", "0.417")]      // 0.41666… rounds up
    [InlineData(50, "1000", "0.001")]      // 0.00075 rounds up to the step
    [InlineData(10000, "7.3", "20.548")]   // 150 / 7.3 = 20.5479…
    public async Task Ton_price_is_exact_decimal_rounded_up_to_a_thousandth(int quantity, string rate, string expected)
    {
        var settings = Options.Create(new PricingOptions());
        var source = new MutableRate { Value = decimal.Parse(rate, System.Globalization.CultureInfo.InvariantCulture) };

        var quote = await new PricingService(source, settings).QuoteStarsAsync(quantity, CancellationToken.None);

        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture) * 1_000_000_000m, quote.PriceNanoton);
    }

    [Fact]
    public async Task Fee_percent_is_added_to_the_usd_price()
    {
        var settings = Options.Create(new PricingOptions { FeePercent = 2.5m });

        var quote = await new PricingService(new MutableRate { Value = 2m }, settings).QuotePremiumAsync(3, CancellationToken.None);

        Assert.Equal(0.29975m, quote.FeeUsd);
        Assert.Equal(12.28975m, quote.PriceUsd);
        Assert.Equal(6_145_000_000, quote.PriceNanoton); // 6.144875 → 6.145
    }
}

/// <summary>The HTTP rate source against a real HTTP server on 127.0.0.1: cache, stale-while-error, then 503.</summary>
public sealed class HttpRateSourceTests(HttpRateSourceTests.Factory factory) : IClassFixture<HttpRateSourceTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        public FakeHttpServer Upstream { get; private set; } = null!;

        public Factory() => Clock = new ManualTimeProvider(DateTimeOffset.UtcNow);

        public override async Task InitializeAsync()
        {
            Upstream = await FakeHttpServer.StartAsync();
            await base.InitializeAsync();
        }

        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings.Remove("Pricing:TonUsdRate");
            settings["Pricing:RateSource:Url"] = Upstream.Url + "/simple/price?ids=the-open-network&vs_currencies=usd";
            settings["Pricing:RateSource:JsonPath"] = "the-open-network.usd";
            settings["Pricing:RateSource:Http:RetryBaseDelay"] = "00:00:00.050";
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }

    [Fact]
    public async Task Rate_is_cached_served_stale_while_the_source_fails_then_503()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var server = factory.Upstream;
        server.RespondJson(200, """{"the-open-network": {"usd": "4.2"}}""");

        var first = await (await partner.Client.GetAsync("/api/v1/pricing/ton-rate")).AssertOkAsync();
        var cached = await (await partner.Client.GetAsync("/api/v1/pricing/ton-rate")).AssertOkAsync();
        Assert.Equal(4.2m, first.GetProperty("ton_usd").GetDecimal());
        Assert.Equal("127.0.0.1", first.GetProperty("source").GetString());
        Assert.Equal(first.GetRawText(), cached.GetRawText());
        Assert.Equal(1, server.Requests);

        factory.Clock!.Advance(TimeSpan.FromSeconds(61));
        server.RespondJson(500, """{"error": "down"}""");
        var stale = await (await partner.Client.GetAsync("/api/v1/pricing/ton-rate")).AssertOkAsync();
        Assert.Equal(4.2m, stale.GetProperty("ton_usd").GetDecimal());
        Assert.Equal(4, server.Requests); // one call, retried twice

        factory.Clock.Advance(TimeSpan.FromMinutes(10));
        await (await partner.Client.GetAsync("/api/v1/pricing/ton-rate")).AssertErrorAsync(503, ErrorCodes.RateUnavailable);
        await (await partner.Client.GetAsync("/api/v1/pricing/estimate/stars?quantity=100")).AssertErrorAsync(503, ErrorCodes.RateUnavailable);
        await (await partner.CreateStarsAsync()).AssertErrorAsync(503, ErrorCodes.RateUnavailable);
        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));

        server.RespondJson(200, """{"the-open-network": {"usd": 5}}""");
        var recovered = await (await partner.Client.GetAsync("/api/v1/pricing/ton-rate")).AssertOkAsync();
        Assert.Equal(5m, recovered.GetProperty("ton_usd").GetDecimal());
        var order = await partner.CreatedStarsOrderAsync();
        Assert.Equal(0.3m, order.GetProperty("price_ton").GetDecimal());
    }
}

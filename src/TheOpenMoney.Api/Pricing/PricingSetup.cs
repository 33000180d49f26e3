namespace TheOpenMoney.Api.Pricing;

public static class PricingSetup
{
    /// <summary>
    /// The fixed rate when <c>Pricing:TonUsdRate</c> is set, else the HTTP source at
    /// <c>Pricing:RateSource:Url</c>; start-up fails when neither is configured.
    /// </summary>
    public static IServiceCollection AddPricing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PricingOptions>()
            .Bind(configuration.GetSection(PricingOptions.Section))
            .Validate(o => o.TonUsdRate is > 0 || Uri.TryCreate(o.RateSource.Url, UriKind.Absolute, out _),
                "set Pricing:TonUsdRate (a fixed TON/USD rate) or Pricing:RateSource:Url (an HTTP JSON source)")
            .Validate(o => o.StarsMin > 0 && o.StarsMax >= o.StarsMin, "Pricing:StarsMin/StarsMax are invalid")
            .Validate(o => o.PremiumUsd.Count > 0 && o.PremiumUsd.All(p => p.Key > 0 && p.Value > 0), "Pricing:PremiumUsd is invalid")
            .Validate(o => o.FeePercent is >= 0 and < 100 && o.StarUsd > 0 && o.TonRoundingStep > 0 && o.UsdtUsdRate is > 0 and <= 10, "Pricing fee/price settings are invalid")
            .ValidateOnStart();
        services.AddSingleton<PricingService>();
        services.AddContractExamples<PricingContractExamples>();
        services.AddHttpClient(HttpTonUsdRateSource.HttpClientName)
            .AddResilience<PricingOptions>(o => o.RateSource.Http);
        services.AddSingleton<HttpTonUsdRateSource>();
        services.AddSingleton<ITonUsdRateSource>(sp =>
            sp.GetRequiredService<IOptions<PricingOptions>>().Value.TonUsdRate is > 0
                ? ActivatorUtilities.CreateInstance<FixedTonUsdRateSource>(sp)
                : sp.GetRequiredService<HttpTonUsdRateSource>());
        return services;
    }
}

namespace TheOpenMoney.Api.Pricing;

/// <summary>The pricing routes' examples in the document (at a fixed 3.59 USD per TON).</summary>
public sealed class PricingContractExamples : IContractExamples
{
    private static readonly ContractFailure RateUnavailable = new(503, ErrorCodes.RateUnavailable, "the TON/USD rate is unavailable right now; retry shortly");

    public IEnumerable<KeyValuePair<string, ContractFailure>> Failures() =>
    [
        new("getTonRate", RateUnavailable),
        new("estimateStars", RateUnavailable),
        new("estimateStars", new ContractFailure(422, Message: "quantity must be between 50 and 10000")),
        new("estimatePremium", RateUnavailable),
        new("estimatePremium", new ContractFailure(422, Message: "months must be 3, 6 or 12")),
    ];

    public IEnumerable<KeyValuePair<string, object>> Successes()
    {
        var at = ContractExamplesSetup.ExampleInstant;
        return
        [
            new("getTonRate", new TonRateResponse(3.59m, "fixed", at)),
            new("getFees", new FeeResponse(
                0m,
                new StarsLimits(50, 10_000, 0.015m),
                [new PremiumPlan(3, 12m), new PremiumPlan(6, 16m), new PremiumPlan(12, 29m)],
                900,
                ["ton_memo", "balance", "tonramp"],
                ["TON", "USDT"],
                0.001m,
                Nanoton.OfTon(0.001m))),
            new("estimateStars", new EstimateResponse("stars", 100, null, 1.5m, 0m, 0m, 1.5m, 0.418m, Nanoton.OfTon(0.418m), 3.59m, "fixed", at, 1.5m, new BaseUnits(1_500_000))),
            new("estimatePremium", new EstimateResponse("premium", null, 3, 12m, 0m, 0m, 12m, 3.343m, Nanoton.OfTon(3.343m), 3.59m, "fixed", at, 12m, new BaseUnits(12_000_000))),
        ];
    }
}

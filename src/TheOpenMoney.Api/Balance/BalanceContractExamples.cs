using TheOpenMoney.Api.Infrastructure.Paging;

namespace TheOpenMoney.Api.Balance;

/// <summary>The balance's examples in the document; <see cref="Ledger"/> also serves the event log's balance events.</summary>
public sealed class BalanceContractExamples : IContractExamples
{
    /// <summary>A Premium order paid from the balance, after a top-up (newest first).</summary>
    public static IReadOnlyList<LedgerEntryResponse> Ledger { get; } =
    [
        new(5012, "order_payment", -3.343m, Nanoton.OfTon(-3.343m), 6.657m, Nanoton.OfTon(6.657m), 10422, null, "Premium 3 months for @pandus", ContractExamplesSetup.ExampleInstant),
        new(5011, "topup", 10m, Nanoton.OfTon(10m), 10m, Nanoton.OfTon(10m), null, "9b1c2f4e7a8d0c3b5e6f1a2d4c8b7e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d", "Top-up", ContractExamplesSetup.ExampleInstant.AddMinutes(-5)),
    ];

    public IEnumerable<KeyValuePair<string, ContractFailure>> Failures() =>
        [new("listBalanceTransactions", new ContractFailure(422, Message: "limit must be between 1 and 100"))];

    public IEnumerable<KeyValuePair<string, object>> Successes() =>
    [
        new("getBalance", new BalanceResponse(
            6.657m,
            Nanoton.OfTon(6.657m),
            "TON",
            "UQBFJTkJhxZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAL8E",
            [
                new CurrencyBalance("TON", 6.657m, new BaseUnits(6_657_000_000), "UQBFJTkJhxZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAL8E"),
                new CurrencyBalance("USDT", 25.5m, new BaseUnits(25_500_000), "UQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqEBI"),
            ])),
        new("listBalanceTransactions", new Page<LedgerEntryResponse>(Ledger, 2, 20, 0)),
    ];
}

using TheOpenMoney.Api.MoneyOut;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Sandbox;

/// <summary>The sandbox routes' examples in the document.</summary>
public sealed class SandboxContractExamples : IContractExamples
{
    private const string TxHash = "sandbox-4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f";

    private static readonly OrderResponse TestOrder = OrderContractExamples.Paid with
    {
        Livemode = false,
        PaymentAddress = SandboxAddresses.AddressOf("orders"),
        PaymentTxHash = TxHash,
    };

    public IEnumerable<KeyValuePair<string, string>> Requests() =>
    [
        new("sandboxPayOrder", """{"amount_ton": 0.418}"""),
        new("sandboxTopUp", """{"amount_ton": 25}"""),
    ];

    public IEnumerable<KeyValuePair<string, object>> Successes() =>
    [
        new("sandboxPayOrder", new SandboxPaymentResponse(TxHash, 0.418m, Nanoton.OfTon(0.418m), "order_payment", ContractExamplesSetup.ExampleInstant.AddMinutes(2), TestOrder)),
        new("sandboxTopUp", new SandboxTopupResponse(TxHash, 25m, Nanoton.OfTon(25m), "topup", 25m, Nanoton.OfTon(25m))),
        new("sandboxExpireOrder", OrderContractExamples.Expired with { Livemode = false, PaymentAddress = SandboxAddresses.AddressOf("orders") }),
        new("sandboxConfirmWithdrawal", MoneyOutContractExamples.Completed with { TxHash = TxHash }),
    ];

    public IEnumerable<KeyValuePair<string, ContractFailure>> Failures()
    {
        var forbidden = new ContractFailure(
            403, ErrorCodes.Forbidden, "sandbox routes take a test key (osk_test_…): a live key's money is real; get a test key with /apitest in the bot", "A live key: sandbox routes take test keys only (`osk_test_…`).");
        return
        [
            new("sandboxPayOrder", forbidden),
            new("sandboxPayOrder", new ContractFailure(404, ErrorCodes.NotFound, "order not found", "No such test order for this key (live orders and other partners' are not found either).")),
            new("sandboxPayOrder", new ContractFailure(422, Message: "amount_ton must be at most 100000")),
            new("sandboxTopUp", forbidden),
            new("sandboxTopUp", new ContractFailure(422, Message: "amount_ton must be at most 1000 per call")),
            new("sandboxExpireOrder", forbidden),
            new("sandboxExpireOrder", new ContractFailure(409, ErrorCodes.InvalidState, "order 10421 is paid; only pending_payment orders can be expired", "The order is not waiting for payment.")),
            new("sandboxConfirmWithdrawal", forbidden),
            new("sandboxConfirmWithdrawal", new ContractFailure(
                409, ErrorCodes.InvalidState, "withdrawal 77 is completed; only one awaiting confirmation (and not past confirm_by) can be confirmed", "The withdrawal is not awaiting confirmation.")),
        ];
    }
}

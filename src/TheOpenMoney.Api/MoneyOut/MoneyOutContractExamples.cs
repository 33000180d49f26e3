using TheOpenMoney.Api.Infrastructure.Paging;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>The withdrawal routes' examples in the document; <see cref="Completed"/> also serves the event log's withdrawal events.</summary>
public sealed class MoneyOutContractExamples : IContractExamples
{
    private static readonly DateTimeOffset At = ContractExamplesSetup.ExampleInstant;

    public static WithdrawalResponse Awaiting { get; } = new(
        77, "awaiting_confirmation", 1.5m, Nanoton.OfTon(1.5m), 0.01m, Nanoton.OfTon(0.01m), "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29",
        null, null, At.AddMinutes(10), At, null, null);

    public static WithdrawalResponse Completed { get; } = Awaiting with
    {
        Status = "completed",
        TxHash = "5d41402abc4b2a76b9719d911017c592ae2f1c1a9e5b3c7d8e0f1a2b3c4d5e6f",
        ConfirmedAt = At.AddMinutes(1),
        CompletedAt = At.AddMinutes(2),
    };

    public static WithdrawalResponse Failed { get; } = Awaiting with
    {
        Status = "failed",
        FailureReason = "the processor could not send it",
        ConfirmedAt = At.AddMinutes(1),
    };

    public IEnumerable<KeyValuePair<string, string>> Requests() =>
        [new("createWithdrawal", """{"amount_ton": 1.5, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""")];

    public IEnumerable<KeyValuePair<string, object>> Successes() =>
    [
        new("createWithdrawal", Awaiting),
        new("getWithdrawal", Completed),
        new("listWithdrawals", new Page<WithdrawalResponse>([Completed, Failed], 2, 20, 0)),
        new("cancelWithdrawal", Awaiting with { Status = "cancelled", FailureReason = "cancelled through the API" }),
    ];

    public IEnumerable<KeyValuePair<string, ContractFailure>> Failures()
    {
        var notFound = new ContractFailure(404, ErrorCodes.NotFound, "withdrawal not found", "No such withdrawal for this partner (another partner's are not found either).");
        return
        [
            new("createWithdrawal", new ContractFailure(
                409, ErrorCodes.InsufficientBalance, "balance is insufficient for this withdrawal (1.5 TON and a 0.01 TON fee)", "The balance or the daily limit does not allow it.",
                Also: " Also `WITHDRAWAL_LIMIT` beyond `Withdrawals:DailyLimitTon` per rolling 24 hours, and `IDEMPOTENCY_IN_PROGRESS` while a request with the same `Idempotency-Key` is still running.")),
            new("createWithdrawal", new ContractFailure(422, Message: "destination must be a user-friendly TON address with a valid checksum")),
            new("createWithdrawal", new ContractFailure(
                503, ErrorCodes.ServiceUnavailable, "withdrawals are confirmed in the Telegram bot, which is not running on this server; nothing was held")),
            new("getWithdrawal", notFound),
            new("cancelWithdrawal", notFound),
            new("cancelWithdrawal", new ContractFailure(
                409, ErrorCodes.WithdrawalNotCancellable, "withdrawal 77 is sent; only one not yet sent can be cancelled", "The withdrawal was already sent.")),
        ];
    }
}

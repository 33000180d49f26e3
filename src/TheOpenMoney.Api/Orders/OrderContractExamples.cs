using TheOpenMoney.Api.Infrastructure.Json;
using TheOpenMoney.Api.Infrastructure.Paging;

namespace TheOpenMoney.Api.Orders;

/// <summary>
/// The orders' examples in the document: the partner docs' own Stars order where there is one, and the
/// order in each state the events show (<see cref="Pending"/>, <see cref="Paid"/> …, also used by the
/// event log's examples). Built from <see cref="OrderResponse"/>, so an example cannot drift from its schema.
/// </summary>
public sealed class OrderContractExamples : IContractExamples
{
    private static readonly DateTimeOffset Created = ContractExamplesSetup.ExampleInstant;

    private const string StarsRequest =
        """
        {
          "recipient_username": "pandus",
          "quantity": 100,
          "payment_method": "ton_memo",
          "payment_currency": "TON",
          "client_reference": "invoice-42"
        }
        """;

    private const string PremiumRequest =
        """
        {
          "recipient_username": "pandus",
          "months": 3,
          "payment_method": "balance",
          "client_reference": "invoice-43"
        }
        """;

    private const string StarsOrder =
        """
        {
          "id": 10421,
          "livemode": true,
          "status": "pending_payment",
          "order_type": "stars",
          "stars_amount": 100,
          "premium_months": null,
          "recipient_username": "pandus",
          "recipient_check": "ELIGIBLE",
          "price_ton": 0.418,
          "price_nanoton": "418000000",
          "price_usd": 1.5,
          "fee_percent": 0,
          "ton_usd_rate": 3.59,
          "payment_method": "ton_memo",
          "payment_currency": "TON",
          "payment_address": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29",
          "payment_memo": "STARS-a1b2c3",
          "expires_at": "2026-04-16T12:15:00Z",
          "created_at": "2026-04-16T12:00:00Z",
          "paid_at": null,
          "completed_at": null,
          "cancelled_at": null,
          "expired_at": null,
          "failed_at": null,
          "paid_ton": 0,
          "paid_nanoton": "0",
          "payment_tx_hash": null,
          "client_reference": "invoice-42",
          "failure_reason": null,
          "refunded_ton": 0,
          "refunded_nanoton": "0",
          "late_paid_ton": 0,
          "late_paid_nanoton": "0",
          "supplier_reference": null,
          "tonramp": null,
          "payment_link": null,
          "payment_request": null
        }
        """;

    /// <summary>A Stars order waiting for its payment, with its payment instructions.</summary>
    public static OrderResponse Pending { get; } = BuildPending();

    /// <summary>A Premium order paid from the balance and delivered.</summary>
    public static OrderResponse Premium { get; } = Pending with
    {
        Id = 10422,
        Status = "completed",
        OrderType = "premium",
        StarsAmount = null,
        PremiumMonths = 3,
        PriceTon = 3.343m,
        PriceNanoton = Nano(3.343m),
        PriceUsd = 12m,
        PaymentMethod = "balance",
        PaymentAddress = null,
        PaymentMemo = "PREMIUM-k3m9x2",
        PaidAt = Created,
        CompletedAt = Created.AddSeconds(4),
        PaidTon = 0,
        PaidNanoton = Nano(0),
        ClientReference = "invoice-43",
        SupplierReference = "sup_8f2a61c0",
        PaymentLink = null,
        PaymentRequest = null,
    };

    public static OrderResponse Paid { get; } = Pending with
    {
        Status = "paid",
        PaidAt = Created.AddMinutes(2),
        PaidTon = 0.418m,
        PaidNanoton = Nano(0.418m),
        PaymentTxHash = "b5c0f2a7d9e14c3b8a6f0e2d4c1b3a5968f7e6d5c4b3a2918f7e6d5c4b3a2910",
        PaymentLink = null,
        PaymentRequest = null,
    };

    public static OrderResponse Cancelled { get; } = Pending with { Status = "cancelled", CancelledAt = Created.AddMinutes(3), PaymentLink = null, PaymentRequest = null };

    public static OrderResponse Expired { get; } = Pending with { Status = "expired", ExpiredAt = Created.AddMinutes(15), PaymentLink = null, PaymentRequest = null };

    public static OrderResponse Failed { get; } = Premium with
    {
        Id = 10423,
        Status = "failed",
        CompletedAt = null,
        FailedAt = Created.AddSeconds(9),
        SupplierReference = null,
        FailureReason = "the recipient cannot receive Premium (already subscribed)",
        RefundedTon = 3.343m,
        RefundedNanoton = Nano(3.343m),
    };

    private static Nanoton Nano(decimal ton) => Nanoton.OfTon(ton);

    /// <summary>What a 404 means on a route that names an order.</summary>
    public static readonly ContractFailure OrderNotFound = new(
        404, ErrorCodes.NotFound, "order not found", "No such order for this partner (another partner's orders are not found either).");

    public IEnumerable<KeyValuePair<string, ContractFailure>> Failures()
    {
        const string StateConflict = "The order's state does not allow it.";
        var insufficient = new ContractFailure(409, ErrorCodes.InsufficientBalance, "balance 0.2 TON is less than the price 0.417 TON", StateConflict);
        const string Ineligible = " Also `RECIPIENT_NOT_ELIGIBLE` when the directory says the recipient cannot receive it.";
        var unavailable = new ContractFailure(
            503, ErrorCodes.PaymentProviderUnavailable, "TonRamp is not configured on this server; use ton_memo or balance",
            Also: " Also `RATE_UNAVAILABLE` (no TON/USD rate) and `SERVICE_UNAVAILABLE` (the database).");
        return
        [
            new("createStarsOrder", insufficient),
            new("createStarsOrder", new ContractFailure(422, Message: "quantity must be between 50 and 10000", Also: Ineligible)),
            new("createStarsOrder", unavailable),
            new("createPremiumOrder", insufficient),
            new("createPremiumOrder", new ContractFailure(422, Message: "months must be 3, 6 or 12", Also: Ineligible)),
            new("createPremiumOrder", unavailable),
            new("getOrder", OrderNotFound),
            new("getOrderByMemo", OrderNotFound),
            new("getOrderPaymentQr", OrderNotFound),
            new("getOrderPaymentQr", new ContractFailure(409, ErrorCodes.OrderNotPayable, "the order does not wait for a payment in TON, so it has no payment link", StateConflict)),
            new("getOrderPaymentQr", new ContractFailure(422, Message: "format must be svg or png")),
            new("cancelOrder", OrderNotFound),
            new("cancelOrder", new ContractFailure(409, ErrorCodes.OrderNotCancellable, "order 10421 is paid and can no longer be cancelled", StateConflict)),
            new("cancelOrder", new ContractFailure(422, ErrorCodes.IdempotencyKeyReused, "this Idempotency-Key was already used with a different request (method, path or body)")),
            new("listOrders", new ContractFailure(
                422, Message: "status must be one of pending_payment, paid, processing, completed, expired, cancelled, failed", Also: " Also when `created_from` is after `created_to`.")),
            new("getOrderStats", new ContractFailure(422, Message: "from must be an ISO 8601 instant", Also: " Also when `from` is after `to`.")),
            new("listOrdersByReference", new ContractFailure(422, Message: "client_reference must be 1 to 128 characters without control characters")),
        ];
    }

    public IEnumerable<KeyValuePair<string, string>> Requests() =>
    [
        new("createStarsOrder", StarsRequest),
        new("createPremiumOrder", PremiumRequest),
    ];

    public IEnumerable<KeyValuePair<string, object>> Successes() =>
    [
        new("createStarsOrder", Pending),
        new("createPremiumOrder", Premium),
        new("getOrder", Pending),
        new("getOrderByMemo", Pending),
        new("cancelOrder", Cancelled),
        new("listOrders", new Page<OrderResponse>([Premium, Pending], 2, 20, 0)),
        new("listOrdersByReference", new Page<OrderResponse>([Pending], 1, 20, 0)),
        new("getOrderStats", new OrderStatsResponse(
            Created.AddDays(-30),
            Created,
            42,
            new Dictionary<string, long> { ["completed"] = 37, ["pending_payment"] = 2, ["expired"] = 2, ["failed"] = 1 },
            new Dictionary<string, long> { ["stars"] = 30, ["premium"] = 12 },
            new Dictionary<string, long> { ["ton_memo"] = 25, ["balance"] = 17 },
            3100,
            36,
            28.412m,
            Nano(28.412m),
            61.904m,
            Nano(61.904m),
            0.418m,
            Nano(0.418m))),
    ];

    private static OrderResponse BuildPending()
    {
        var pending = JsonSerializer.Deserialize<OrderResponse>(StarsOrder, JsonDefaults.Shared)!;
        var instruction = PaymentInstruction.For(pending.PaymentAddress!, 418_000_000, pending.PaymentMemo, pending.ExpiresAt);
        return pending with { PaymentLink = instruction.Link, PaymentRequest = instruction.Request };
    }
}

using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Events;
using TheOpenMoney.Api.Health;
using TheOpenMoney.Api.Infrastructure.Json;
using TheOpenMoney.Api.Infrastructure.Paging;
using TheOpenMoney.Api.Orders;
using TheOpenMoney.Api.Partners;
using TheOpenMoney.Api.Pricing;
using TheOpenMoney.Api.Recipients;
using TheOpenMoney.Api.Webhooks;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>
/// A realistic example on every successful answer (the partner docs' own Stars order where there is
/// one) and on the order-creation requests. Built from the response types, so an example cannot drift
/// from its schema. The failures' examples come from <see cref="ContractResponsesOperationFilter"/>.
/// </summary>
internal sealed class ContractExamplesOperationFilter : IOperationFilter
{
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
          "ok": true,
          "data": {
            "id": 10421,
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
        }
        """;

    private static readonly DateTimeOffset Created = new(2026, 4, 16, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The example of every successful answer, by operationId, built from the response types themselves.</summary>
    private static readonly Lazy<IReadOnlyDictionary<string, JsonNode>> Successes = new(BuildSuccesses);

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        switch (operation.OperationId)
        {
            case "createStarsOrder":
                SetRequestExample(operation, StarsRequest);
                break;
            case "createPremiumOrder":
                SetRequestExample(operation, PremiumRequest);
                break;
        }

        if (operation.OperationId is { } id && Successes.Value.TryGetValue(id, out var example)
            && operation.Responses?.TryGetValue("200", out var response) == true
            && response.Content?.TryGetValue("application/json", out var media) == true
            && media is OpenApiMediaType concrete)
        {
            concrete.Example = example.DeepClone();
        }
    }

    /// <summary>One example event of each type (the body of a webhook delivery; <c>GET /events</c> shows four of them).</summary>
    internal static IEnumerable<JsonObject> ExampleEvents() =>
        Successes.Value[WebhooksDocumentFilter.OperationId]["data"]!.AsArray().Select(e => e!.DeepClone().AsObject());

    private static Dictionary<string, JsonNode> BuildSuccesses()
    {
        var json = JsonDefaults.Shared;
        var pending = JsonSerializer.Deserialize<ApiResponse<OrderResponse>>(StarsOrder, json)!.Data;
        var instruction = PaymentInstruction.For(pending.PaymentAddress!, 418_000_000, pending.PaymentMemo, pending.ExpiresAt);
        pending = pending with { PaymentLink = instruction.Link, PaymentRequest = instruction.Request };
        var premium = pending with
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
        var paid = pending with { Status = "paid", PaidAt = Created.AddMinutes(2), PaidTon = 0.418m, PaidNanoton = Nano(0.418m), PaymentTxHash = "b5c0f2a7d9e14c3b8a6f0e2d4c1b3a5968f7e6d5c4b3a2918f7e6d5c4b3a2910", PaymentLink = null, PaymentRequest = null };
        var cancelled = pending with { Status = "cancelled", CancelledAt = Created.AddMinutes(3), PaymentLink = null, PaymentRequest = null };
        var ledger = new[]
        {
            new LedgerEntryResponse(5012, "order_payment", -3.343m, Nano(-3.343m), 6.657m, Nano(6.657m), 10422, null, "Premium 3 months for @pandus", Created),
            new LedgerEntryResponse(5011, "topup", 10m, Nano(10m), 10m, Nano(10m), null, "9b1c2f4e7a8d0c3b5e6f1a2d4c8b7e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d", "Top-up", Created.AddMinutes(-5)),
        };
        var failed = premium with
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
        EventResponse OrderEvent(long id, string type, DateTimeOffset at, OrderResponse order) => new(id, type, at, new EventData(Order: order));
        EventResponse LedgerEvent(long id, string type, LedgerEntryResponse entry) => new(id, type, entry.CreatedAt, new EventData(Transaction: entry));
        EventResponse[] events =
        [
            OrderEvent(48_211, EventTypes.OrderCreated, Created, pending),
            OrderEvent(48_212, EventTypes.OrderPaid, Created.AddMinutes(2), paid),
            LedgerEvent(48_215, EventTypes.BalanceDebited, ledger[0]),
            OrderEvent(48_220, EventTypes.OrderCompleted, Created.AddSeconds(4), premium),
            OrderEvent(48_221, EventTypes.OrderFailed, Created.AddSeconds(9), failed),
            LedgerEvent(48_222, EventTypes.BalanceCredited, ledger[1]),
            OrderEvent(48_230, EventTypes.OrderCancelled, Created.AddMinutes(3), cancelled),
            OrderEvent(48_240, EventTypes.OrderExpired, Created.AddMinutes(15), pending with { Status = "expired", ExpiredAt = Created.AddMinutes(15), PaymentLink = null, PaymentRequest = null }),
            new EventResponse(48_250, EventTypes.Ping, Created.AddMinutes(20), new EventData()),
        ];
        var examples = new Dictionary<string, object>
        {
            ["createStarsOrder"] = pending,
            ["createPremiumOrder"] = premium,
            ["getOrder"] = pending,
            ["getOrderByMemo"] = pending,
            ["cancelOrder"] = cancelled,
            ["listOrders"] = new Page<OrderResponse>([premium, pending], 2, 20, 0),
            ["listOrdersByReference"] = new Page<OrderResponse>([pending], 1, 20, 0),
            ["getOrderStats"] = new OrderStatsResponse(
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
                Nano(0.418m)),
            ["getTonRate"] = new TonRateResponse(3.59m, "fixed", Created),
            ["getFees"] = new FeeResponse(
                0m,
                new StarsLimits(50, 10_000, 0.015m),
                [new PremiumPlan(3, 12m), new PremiumPlan(6, 16m), new PremiumPlan(12, 29m)],
                900,
                ["ton_memo", "balance", "tonramp"],
                ["TON"],
                0.001m,
                Nano(0.001m)),
            ["estimateStars"] = new EstimateResponse("stars", 100, null, 1.5m, 0m, 0m, 1.5m, 0.418m, Nano(0.418m), 3.59m, "fixed", Created),
            ["estimatePremium"] = new EstimateResponse("premium", null, 3, 12m, 0m, 0m, 12m, 3.343m, Nano(3.343m), 3.59m, "fixed", Created),
            ["checkStarsRecipient"] = new RecipientResponse("pandus", true, null),
            ["checkPremiumRecipient"] = new RecipientResponse("durov", false, "ALREADY_PREMIUM"),
            ["getBalance"] = new BalanceResponse(6.657m, Nano(6.657m), "TON", "UQBFJTkJhxZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAL8E"),
            ["listBalanceTransactions"] = new Page<LedgerEntryResponse>(ledger, 2, 20, 0),
            ["getPartner"] = new PartnerResponse(7, 123456789, "reseller_bot_owner", Created.AddDays(-90), new PartnerKeyResponse("osk_AbC1", Created.AddDays(-10), Created)),
            ["getHealth"] = new HealthResponse("ok", Created, new Dictionary<string, IReadOnlyDictionary<string, object?>>
            {
                ["database"] = new Dictionary<string, object?> { ["status"] = "ok" },
                ["payment_processor"] = new Dictionary<string, object?> { ["status"] = "ok", ["reachable"] = true, ["is_synced"] = true, ["lag_seconds"] = 3 },
            }),
            // One event of each kind: an order event carries the order as it was, a balance event the ledger row.
            ["listEvents"] = new EventPage(events[..4], 48_220, true),
            [WebhooksDocumentFilter.OperationId] = events,
            ["putWebhook"] = new WebhookRegistered(
                "https://reseller.example/hooks/theopenmoney", [EventTypes.OrderPaid, EventTypes.OrderCompleted, EventTypes.OrderFailed], true,
                "whsec_Qm9vbXNoYWthbGFrYS1leGFtcGxlLXNlY3JldC0zMmI", "whsec_Qm9vbX", Created),
            ["getWebhook"] = new WebhookEndpointResponse(
                "https://reseller.example/hooks/theopenmoney", [EventTypes.OrderPaid, EventTypes.OrderCompleted, EventTypes.OrderFailed], true,
                "whsec_Qm9vbX", Created, null, null, new WebhookLastDelivery(200, true, null, Created.AddMinutes(2))),
            ["deleteWebhook"] = new WebhookDeleted(true),
            ["rotateWebhookSecret"] = new WebhookRotated("whsec_TmV3LXNlY3JldC1hZnRlci1yb3RhdGlvbi1leGFtcGxlMzI", "whsec_TmV3LX", Created.AddHours(24)),
            ["testWebhook"] = new WebhookTestQueued(true),
            ["redeliverWebhook"] = new WebhookTestQueued(true),
            ["listWebhookDeliveries"] = new Page<WebhookAttemptResponse>(
                [
                    new WebhookAttemptResponse(913, 48_212, EventTypes.OrderPaid, 3, 200, null, 41, true, null, Created.AddMinutes(3)),
                    new WebhookAttemptResponse(912, 48_212, EventTypes.OrderPaid, 2, 503, "HTTP 503", 12, false, Created.AddMinutes(3), Created.AddMinutes(2).AddSeconds(20)),
                    new WebhookAttemptResponse(911, 48_212, EventTypes.OrderPaid, 1, null, "no answer within 10 s", 10_000, false, Created.AddMinutes(2).AddSeconds(20), Created.AddMinutes(2)),
                ],
                3,
                20,
                0),
        };
        return examples.ToDictionary(e => e.Key, e => new JsonObject { ["ok"] = true, ["data"] = JsonSerializer.SerializeToNode(e.Value, e.Value.GetType(), json) } as JsonNode);
    }

    /// <summary>The exact twin of an example's TON amount, as the API makes it from the stored nanoTON.</summary>
    private static Nanoton Nano(decimal ton) => new(TonAmount.ToNano(ton));

    private static void SetRequestExample(OpenApiOperation operation, string json)
    {
        if (operation.RequestBody?.Content?.TryGetValue("application/json", out var media) == true && media is OpenApiMediaType concrete)
        {
            concrete.Example = JsonNode.Parse(json);
        }
    }
}

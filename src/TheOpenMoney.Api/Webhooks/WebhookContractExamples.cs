using System.Text.Json.Nodes;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure.Json;
using TheOpenMoney.Api.Infrastructure.Paging;
using TheOpenMoney.Api.MoneyOut;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// The event log's and the webhook routes' examples in the document, and one example event of each type
/// (the body of a webhook delivery, <see cref="WebhooksDocumentFilter"/>; <c>GET /events</c> shows four):
/// an order event carries the order as it was (<see cref="OrderContractExamples"/>), a balance event the
/// ledger row (<see cref="BalanceContractExamples"/>).
/// </summary>
public sealed class WebhookContractExamples : IContractExamples
{
    private static readonly DateTimeOffset Created = ContractExamplesSetup.ExampleInstant;

    private static readonly EventResponse[] Events =
    [
        OrderEvent(48_211, EventTypes.OrderCreated, Created, OrderContractExamples.Pending),
        OrderEvent(48_212, EventTypes.OrderPaid, Created.AddMinutes(2), OrderContractExamples.Paid),
        LedgerEvent(48_215, EventTypes.BalanceDebited, BalanceContractExamples.Ledger[0]),
        OrderEvent(48_220, EventTypes.OrderCompleted, Created.AddSeconds(4), OrderContractExamples.Premium),
        OrderEvent(48_221, EventTypes.OrderFailed, Created.AddSeconds(9), OrderContractExamples.Failed),
        LedgerEvent(48_222, EventTypes.BalanceCredited, BalanceContractExamples.Ledger[1]),
        OrderEvent(48_230, EventTypes.OrderCancelled, Created.AddMinutes(3), OrderContractExamples.Cancelled),
        OrderEvent(48_240, EventTypes.OrderExpired, Created.AddMinutes(15), OrderContractExamples.Expired),
        new EventResponse(48_245, true, EventTypes.WithdrawalCompleted, Created.AddMinutes(2), new EventData(Withdrawal: MoneyOutContractExamples.Completed)),
        new EventResponse(48_246, true, EventTypes.WithdrawalFailed, Created.AddMinutes(3), new EventData(Withdrawal: MoneyOutContractExamples.Failed)),
        new EventResponse(48_250, true, EventTypes.Ping, Created.AddMinutes(20), new EventData()),
    ];

    /// <summary>One example event of each type, as JSON.</summary>
    internal static IEnumerable<JsonObject> ExampleEvents() =>
        Events.Select(e => JsonSerializer.SerializeToNode(e, JsonDefaults.Shared)!.AsObject());

    private static readonly ContractFailure NoEndpoint = new(
        404, ErrorCodes.NotFound, "webhook endpoint not found", "No webhook endpoint is registered for this key: PUT /webhook first.");

    /// <summary>What each webhook route's 404 (and the rotation's 409) means, with the message the API gives.</summary>
    public IEnumerable<KeyValuePair<string, ContractFailure>> Failures() =>
    [
        new("getWebhook", NoEndpoint),
        new("deleteWebhook", NoEndpoint),
        new("rotateWebhookSecret", NoEndpoint),
        new("testWebhook", NoEndpoint),
        new("rotateWebhookSecret", new ContractFailure(
            409,
            ErrorCodes.SecretRotationLimit,
            "4 earlier secrets are still signing; rotate again once the oldest expires",
            "Four earlier secrets are still within their 24 hours of signing beside the current one.")),
        new("redeliverWebhook", new ContractFailure(
            404, ErrorCodes.NotFound, "delivery not found", "No such delivery attempt for this key (another partner's are not found either).")),
    ];

    public IEnumerable<KeyValuePair<string, object>> Successes() =>
    [
        new("listEvents", new EventPage(Events[..4], 48_220, true)),
        new("putWebhook", new WebhookRegistered(
            "https://reseller.example/hooks/theopenmoney", [EventTypes.OrderPaid, EventTypes.OrderCompleted, EventTypes.OrderFailed], true,
            "whsec_Qm9vbXNoYWthbGFrYS1leGFtcGxlLXNlY3JldC0zMmI", "whsec_Qm9vbX", Created)),
        new("getWebhook", new WebhookEndpointResponse(
            "https://reseller.example/hooks/theopenmoney", [EventTypes.OrderPaid, EventTypes.OrderCompleted, EventTypes.OrderFailed], true,
            "whsec_Qm9vbX", Created, null, null, new WebhookLastDelivery(200, true, null, Created.AddMinutes(2)))),
        new("deleteWebhook", new WebhookDeleted(true)),
        new("rotateWebhookSecret", new WebhookRotated("whsec_TmV3LXNlY3JldC1hZnRlci1yb3RhdGlvbi1leGFtcGxlMzI", "whsec_TmV3LX", Created.AddHours(24))),
        new("testWebhook", new WebhookTestQueued(true)),
        new("redeliverWebhook", new WebhookTestQueued(true)),
        new("listWebhookDeliveries", new Page<WebhookAttemptResponse>(
            [
                new WebhookAttemptResponse(913, 48_212, EventTypes.OrderPaid, 3, 200, null, 41, true, null, Created.AddMinutes(3)),
                new WebhookAttemptResponse(912, 48_212, EventTypes.OrderPaid, 2, 503, "HTTP 503", 12, false, Created.AddMinutes(3), Created.AddMinutes(2).AddSeconds(20)),
                new WebhookAttemptResponse(911, 48_212, EventTypes.OrderPaid, 1, null, "no answer within 10 s", 10_000, false, Created.AddMinutes(2).AddSeconds(20), Created.AddMinutes(2)),
            ],
            3,
            20,
            0)),
    ];

    private static EventResponse OrderEvent(long id, string type, DateTimeOffset at, OrderResponse order) => new(id, true, type, at, new EventData(Order: order));

    private static EventResponse LedgerEvent(long id, string type, LedgerEntryResponse entry) => new(id, true, type, entry.CreatedAt, new EventData(Transaction: entry));
}

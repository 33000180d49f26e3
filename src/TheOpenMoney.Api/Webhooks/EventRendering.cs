using System.Text.Json.Serialization;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.MoneyOut;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>An event as partners see it, in <c>GET /events</c> and in webhook deliveries.</summary>
/// <param name="Id">Increasing in your event log; the cursor of <c>GET /events</c>, and the id that dedupes deliveries (never given twice to you, live or test mode).</param>
/// <param name="Livemode"><c>true</c> for a live event, <c>false</c> for a test-mode one (a test key's: simulated money).</param>
/// <param name="Type">What happened.</param>
/// <param name="CreatedAt">When the change was committed.</param>
/// <param name="Data"><c>{"order": …}</c> for <c>order.*</c> (the order as <c>GET /orders/{id}</c> showed it then), <c>{"transaction": …}</c> for <c>balance.*</c> (the ledger row), <c>{}</c> for <c>ping</c>.</param>
public sealed record EventResponse(long Id, bool Livemode, [property: TextValues(typeof(EventTypes))] string Type, DateTimeOffset CreatedAt, EventData Data);

/// <summary>
/// What an event is about: one object whose properties are present only when they apply, so one type
/// reads every event (the event's <c>type</c> says which one is there).
/// </summary>
/// <param name="Order">For <c>order.*</c> events: the order as <c>GET /orders/{id}</c> showed it then. Absent otherwise.</param>
/// <param name="Transaction">For <c>balance.*</c> events: the ledger row, as in <c>GET /balance/transactions</c>. Absent otherwise.</param>
/// <param name="Withdrawal">For <c>withdrawal.*</c> events: the withdrawal as <c>GET /balance/withdrawals/{id}</c> showed it then. Absent otherwise.</param>
public sealed record EventData(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] OrderResponse? Order = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] LedgerEntryResponse? Transaction = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] WithdrawalResponse? Withdrawal = null);

/// <summary>
/// Turns an event's snapshot (the <c>orders</c> or <c>balance_ledger</c> row as <c>to_jsonb</c> wrote
/// it in the trigger) into what partners see, through the same mapping as the order and ledger routes.
/// </summary>
public static class EventRendering
{
    private static readonly JsonSerializerOptions RowOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static EventResponse Render(long seq, bool livemode, string type, DateTimeOffset createdAt, string snapshot)
    {
        var data = type switch
        {
            EventTypes.BalanceCredited or EventTypes.BalanceDebited =>
                new EventData(Transaction: LedgerEntryResponse.From(JsonSerializer.Deserialize<LedgerEntry>(snapshot, RowOptions)!)),
            EventTypes.WithdrawalCompleted or EventTypes.WithdrawalFailed =>
                new EventData(Withdrawal: WithdrawalResponse.From(JsonSerializer.Deserialize<Withdrawal>(snapshot, RowOptions)!)),
            EventTypes.Ping => new EventData(),
            _ => new EventData(Order: JsonSerializer.Deserialize<Order>(snapshot, RowOptions)!.ToResponse()),
        };
        return new EventResponse(seq, livemode, type, createdAt, data);
    }
}

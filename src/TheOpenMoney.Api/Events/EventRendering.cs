using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure.Json;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Events;

/// <summary>An event as partners see it, in <c>GET /events</c> and in webhook deliveries.</summary>
/// <param name="Id">Increasing per deployment; the cursor of <c>GET /events</c>, and the id that dedupes deliveries.</param>
/// <param name="Type">What happened.</param>
/// <param name="CreatedAt">When the change was committed.</param>
/// <param name="Data"><c>{"order": …}</c> (the order as <c>GET /orders/{id}</c> showed it then), <c>{"transaction": …}</c> (the ledger row), or <c>{}</c> for <c>ping</c>.</param>
public sealed record EventResponse(long Id, [property: TextValues(typeof(EventTypes))] string Type, DateTimeOffset CreatedAt, JsonObject Data);

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

    public static EventResponse Render(long seq, string type, DateTimeOffset createdAt, string snapshot)
    {
        var data = type switch
        {
            EventTypes.BalanceCredited or EventTypes.BalanceDebited => new JsonObject
            {
                ["transaction"] = JsonSerializer.SerializeToNode(
                    LedgerEntryResponse.From(JsonSerializer.Deserialize<LedgerEntry>(snapshot, RowOptions)!), JsonDefaults.Shared),
            },
            EventTypes.Ping => [],
            _ => new JsonObject
            {
                ["order"] = JsonSerializer.SerializeToNode(JsonSerializer.Deserialize<Order>(snapshot, RowOptions)!.ToResponse(), JsonDefaults.Shared),
            },
        };
        return new EventResponse(seq, type, createdAt, data);
    }
}

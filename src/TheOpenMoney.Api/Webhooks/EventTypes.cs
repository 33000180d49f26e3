namespace TheOpenMoney.Api.Webhooks;

/// <summary>The event types (<c>events.type</c>; the same list is the table's CHECK, migrations 0008 and 0013).</summary>
public static class EventTypes
{
    public const string OrderCreated = "order.created";
    public const string OrderPaid = "order.paid";
    public const string OrderCompleted = "order.completed";
    public const string OrderFailed = "order.failed";
    public const string OrderExpired = "order.expired";
    public const string OrderCancelled = "order.cancelled";
    public const string BalanceCredited = "balance.credited";
    public const string BalanceDebited = "balance.debited";
    public const string WithdrawalCompleted = "withdrawal.completed";
    public const string WithdrawalFailed = "withdrawal.failed";
    public const string Ping = "ping";

    /// <summary>Every type, in the order the docs list them.</summary>
    public static IReadOnlyList<string> All { get; } =
        [OrderCreated, OrderPaid, OrderCompleted, OrderFailed, OrderExpired, OrderCancelled, BalanceCredited, BalanceDebited, WithdrawalCompleted, WithdrawalFailed, Ping];

    /// <summary>The types a webhook endpoint may subscribe to (and gets when it names none): all but <see cref="Ping"/>, which a test always sends.</summary>
    public static IReadOnlyList<string> Subscribable { get; } = [.. All.Where(t => t != Ping)];
}

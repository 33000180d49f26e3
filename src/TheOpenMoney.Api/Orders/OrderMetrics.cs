using System.Diagnostics.Metrics;

namespace TheOpenMoney.Api.Orders;

/// <summary>
/// Order and delivery metrics (meter <c>TheOpenMoney.Orders</c>): every status transition
/// (<c>tom.orders.transitions</c>, tags <c>from</c>, <c>to</c>; <c>from = none</c> at creation), delivery
/// attempts that failed (<c>tom.fulfillment.failures</c>, tag <c>outcome</c> = transient or permanent), and
/// refunds of failed orders (<c>tom.fulfillment.refunds</c>, <c>tom.fulfillment.refunded_nanoton</c>).
/// </summary>
public sealed class OrderMetrics : IDisposable
{
    public const string MeterName = "TheOpenMoney.Orders";

    private readonly Meter _meter;
    private readonly Counter<long> _transitions;
    private readonly Counter<long> _deliveryFailures;
    private readonly Counter<long> _refunds;
    private readonly Counter<long> _refundedNanoton;

    public OrderMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _transitions = _meter.CreateCounter<long>("tom.orders.transitions", "{order}", "Order status transitions, by from and to status");
        _deliveryFailures = _meter.CreateCounter<long>("tom.fulfillment.failures", "{attempt}", "Delivery attempts that failed, by outcome (transient: retried; permanent: the order fails)");
        _refunds = _meter.CreateCounter<long>("tom.fulfillment.refunds", "{order}", "Failed orders refunded to the partner's balance");
        _refundedNanoton = _meter.CreateCounter<long>("tom.fulfillment.refunded_nanoton", "{nanoTON}", "nanoTON refunded for failed orders");
    }

    /// <summary>Counts a move of <see cref="OrderMachine"/> that changed the status (others are not transitions).</summary>
    public void Transition(OrderTransition transition, long count = 1)
    {
        ArgumentNullException.ThrowIfNull(transition);
        if (!transition.ChangesStatus)
        {
            return;
        }

        _transitions.Add(
            count,
            new KeyValuePair<string, object?>("from", transition.From is { } status ? EnumText<OrderStatus>.ToText(status) : "none"),
            new KeyValuePair<string, object?>("to", EnumText<OrderStatus>.ToText(transition.To!.Value)));
    }

    public void DeliveryFailed(bool permanent) =>
        _deliveryFailures.Add(1, new KeyValuePair<string, object?>("outcome", permanent ? "permanent" : "transient"));

    /// <summary>A refund of <paramref name="units"/> of <paramref name="currency"/>; the nanoTON counter counts TON only.</summary>
    public void Refunded(string currency, long units)
    {
        _refunds.Add(1);
        if (currency == PaymentCurrencies.Ton)
        {
            _refundedNanoton.Add(units);
        }
    }

    public void Dispose() => _meter.Dispose();
}

namespace TheOpenMoney.Api.Orders;

/// <summary>Who moves an order: the C# owner of the state machine, or the one SQL function that pays orders.</summary>
public enum OrderMover
{
    /// <summary>A method of <see cref="OrderLifecycle"/> (a guarded statement in its own or its caller's transaction).</summary>
    Lifecycle,

    /// <summary>
    /// <c>order_receive_payment</c> (migration <c>0012_order_functions.sql</c>), called by <c>apply_deposit</c> for a
    /// deposit whose comment is an order's memo: in SQL so that applying a deposit stays one round trip.
    /// </summary>
    ReceivePaymentFunction,
}

/// <summary>One move of the order state machine: from → to, what makes it, who makes it, and its guard.</summary>
/// <param name="Name">What happens, in a few words.</param>
/// <param name="From">The status it leaves; null for creation (and, with a null <paramref name="To"/>, for a move from any status).</param>
/// <param name="To">The status it reaches: the same as <paramref name="From"/> for a move that records something without changing status; null for one that leaves any status as it is.</param>
/// <param name="Mover">The one place that makes it.</param>
/// <param name="Method">The method or function that makes it.</param>
/// <param name="Guard">When it may happen (checked in the statement that makes it).</param>
public sealed record OrderTransition(string Name, OrderStatus? From, OrderStatus? To, OrderMover Mover, string Method, string Guard)
{
    /// <summary>The move changes the status (creation counts).</summary>
    public bool ChangesStatus => To is not null && From != To;

    public override string ToString() =>
        To is { } to
            ? $"{(From is { } from ? OrderLifecycle.Text(from) : "(new)")} → {OrderLifecycle.Text(to)}: {Name}"
            : $"any status, unchanged: {Name}";
}

/// <summary>
/// The order state machine, every move of it in one table — the first place to look. The statements that
/// make them are in <see cref="OrderLifecycle"/> (C#) and in <c>order_receive_payment</c> (SQL, migration
/// <c>0012_order_functions.sql</c>); both take their from/to from here or are held to it by
/// <c>OrderMachineTests</c> (every status the table's CHECK allows, every status change the SQL functions
/// make, every event the <c>tr_orders_events</c> trigger writes). Every status change also writes an event
/// (<c>order.paid</c> …) through that trigger (migration 0008), in the same transaction.
/// <code>
///  (new) ── create, ton_memo / tonramp ─────────────────────────▶ pending_payment
///  (new) ── create, balance (price debited, or 409) ────────────▶ paid
///  pending_payment ── deposit short of the price ¹ ─────────────▶ pending_payment (paid_nanoton grows)
///  pending_payment ── deposits reach the price ¹ ────────────────▶ paid (any excess credited: overpayment)
///  pending_payment ── partner cancels ───────────────────────────▶ cancelled ┐ what was received is
///  pending_payment ── expires_at passed, processor scanned past ─▶ expired   ┘ credited: underpayment
///  paid ── claimed for delivery (lease) ─────────────────────────▶ processing
///  processing ── lease ran out (worker died); supplier asked first ▶ processing (claimed again)
///  processing ── transient failure, attempts left ───────────────▶ processing (retried at the lease)
///  processing ── supplier delivered ─────────────────────────────▶ completed
///  paid | processing ── refused, or out of attempts ─────────────▶ failed (price refunded)
///  any status, or dated after expires_at ── deposit ¹ ───────────▶ unchanged (credited: late_payment)
///  ¹ order_receive_payment, in SQL
/// </code>
/// </summary>
public static class OrderMachine
{
    public static readonly OrderTransition CreateUnpaid = new(
        "created, to be paid by a transfer", null, OrderStatus.PendingPayment, OrderMover.Lifecycle, nameof(OrderLifecycle.CreateAsync),
        "payment_method ton_memo or tonramp; a fresh unique memo");

    public static readonly OrderTransition CreatePaidFromBalance = new(
        "created and paid from the balance", null, OrderStatus.Paid, OrderMover.Lifecycle, nameof(OrderLifecycle.CreateAsync),
        "payment_method balance; the price debited from the locked balance row, or 409 INSUFFICIENT_BALANCE and nothing written");

    public static readonly OrderTransition ReceivePart = new(
        "a deposit short of the price", OrderStatus.PendingPayment, OrderStatus.PendingPayment, OrderMover.ReceivePaymentFunction, "order_receive_payment",
        "status = pending_payment, chain time before expires_at, received + amount < price");

    public static readonly OrderTransition Pay = new(
        "deposits reach the price", OrderStatus.PendingPayment, OrderStatus.Paid, OrderMover.ReceivePaymentFunction, "order_receive_payment",
        "status = pending_payment, chain time before expires_at, received + amount >= price (the excess credited: overpayment)");

    public static readonly OrderTransition ReceiveLate = new(
        "a deposit for an order no longer waiting", null, null, OrderMover.ReceivePaymentFunction, "order_receive_payment",
        "any status other than pending_payment, or chain time at or after expires_at: credited (late_payment), recorded on the order, status unchanged");

    public static readonly OrderTransition Cancel = new(
        "the partner cancels", OrderStatus.PendingPayment, OrderStatus.Cancelled, OrderMover.Lifecycle, nameof(OrderLifecycle.CancelAsync),
        "status = pending_payment and the partner's own order; what was received credited back (underpayment)");

    public static readonly OrderTransition Expire = new(
        "nobody paid in time", OrderStatus.PendingPayment, OrderStatus.Expired, OrderMover.Lifecycle, nameof(OrderLifecycle.ExpireDueAsync),
        "status = pending_payment and expires_at before the instant up to which the processor has been read (a test-mode order: before now, or at once through the sandbox's /expire, never a live one); what was received credited back (underpayment)");

    public static readonly OrderTransition Claim = new(
        "claimed for delivery", OrderStatus.Paid, OrderStatus.Processing, OrderMover.Lifecycle, nameof(OrderLifecycle.ClaimForDeliveryAsync),
        "status = paid, FOR UPDATE SKIP LOCKED, a lease until which it is this worker's");

    public static readonly OrderTransition Reclaim = new(
        "claimed again after its lease ran out", OrderStatus.Processing, OrderStatus.Processing, OrderMover.Lifecycle, nameof(OrderLifecycle.ClaimForDeliveryAsync),
        "status = processing and delivery_lease_until passed (the worker died, or a retry is due); the supplier is asked first");

    public static readonly OrderTransition RetryLater = new(
        "a transient delivery failure", OrderStatus.Processing, OrderStatus.Processing, OrderMover.Lifecycle, nameof(OrderLifecycle.ScheduleDeliveryRetryAsync),
        "status = processing; the lease moved to the retry time");

    public static readonly OrderTransition Complete = new(
        "the supplier delivered", OrderStatus.Processing, OrderStatus.Completed, OrderMover.Lifecycle, nameof(OrderLifecycle.CompleteAsync),
        "status = processing");

    public static readonly OrderTransition FailPaid = new(
        "refused before delivery started", OrderStatus.Paid, OrderStatus.Failed, OrderMover.Lifecycle, nameof(OrderLifecycle.FailAndRefundAsync),
        "status = paid; the price refunded to the balance (refund) in the same transaction");

    public static readonly OrderTransition FailProcessing = new(
        "refused for good, or out of attempts", OrderStatus.Processing, OrderStatus.Failed, OrderMover.Lifecycle, nameof(OrderLifecycle.FailAndRefundAsync),
        "status = processing; the price refunded to the balance (refund) in the same transaction");

    /// <summary>Every move, in the order of the drawing.</summary>
    public static IReadOnlyList<OrderTransition> All { get; } =
    [
        CreateUnpaid, CreatePaidFromBalance, ReceivePart, Pay, ReceiveLate, Cancel, Expire, Claim, Reclaim, RetryLater, Complete, FailPaid, FailProcessing,
    ];

    /// <summary>The move that changes <paramref name="from"/> into <paramref name="to"/>; null when the machine has none (or they are equal).</summary>
    public static OrderTransition? StatusChange(OrderStatus? from, OrderStatus to) =>
        All.FirstOrDefault(t => t.ChangesStatus && t.From == from && t.To == to);

}

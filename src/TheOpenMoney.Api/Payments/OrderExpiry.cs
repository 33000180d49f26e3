using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// <c>pending_payment → expired</c> only for orders whose <c>expires_at</c> is before the orders
/// history's <c>synced_to</c>, the instant up to which every deposit has been read (so a payment dated
/// before expiry can no longer show up); a short payment already received is credited back
/// (<c>underpayment</c>) in the same transaction. Runs on every instance: each order is closed in its
/// own guarded transaction, so a second instance finds it closed already.
/// </summary>
public sealed class OrderExpiry(
    ProcessorCursors cursors,
    OrderLifecycle lifecycle,
    PaymentMetrics metrics,
    IOptions<PaymentProcessorOptions> options) : IBackgroundJob
{
    private const int PerRun = 1000;

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        if (await cursors.SyncedToAsync(options.Value.OrdersUserId, options.Value.Currency, cancellationToken) is not { } syncedTo)
        {
            return JobOutcome.Idle;
        }

        metrics.RecordSyncedTo(syncedTo);
        var expired = await lifecycle.ExpireDueAsync(syncedTo, PerRun, cancellationToken);
        return expired >= PerRun ? JobOutcome.MoreWork : JobOutcome.Idle;
    }
}

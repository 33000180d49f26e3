using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.TonRamp;

/// <summary>
/// Refreshes TonRamp's status of open TonRamp orders, least recently checked first (the TON itself is
/// matched by memo like any <c>ton_memo</c> order). One instance at a time (leader lock
/// <see cref="LeaderLockKey"/>), and never above TonRamp's status limit: at most a minute's worth per run.
/// </summary>
public sealed class TonRampStatusRefresher(
    ReadOnlyDbContext db,
    TonRampClient client,
    OrderLifecycle lifecycle,
    IOptions<TonRampOptions> options) : IBackgroundJob
{
    /// <summary>Advisory lock key of the refresher leader ("TOM-TRAM").</summary>
    internal const long LeaderLockKey = 0x544F4D2D5452414D;

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var open = await db.Orders
            .Where(o => o.PaymentMethod == PaymentMethod.Tonramp && o.Status == OrderStatus.PendingPayment && o.Livemode)
            .OrderBy(o => o.TonrampCheckedAt == null ? 0 : 1).ThenBy(o => o.TonrampCheckedAt).ThenBy(o => o.Id)
            .Take(options.Value.StatusPerMinute)
            .Select(o => new { o.Id, o.PaymentMemo })
            .ToListAsync(cancellationToken);
        foreach (var order in open)
        {
            await lifecycle.RecordTonRampStatusAsync(order.Id, await client.StatusAsync(order.PaymentMemo, cancellationToken), cancellationToken);
        }

        return JobOutcome.Idle;
    }
}

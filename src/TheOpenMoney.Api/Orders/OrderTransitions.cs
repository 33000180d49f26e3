using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure.Data;

namespace TheOpenMoney.Api.Orders;

/// <summary>
/// State changes made by workers rather than partners. Each is one transaction with the
/// transition guarded in SQL (<c>WHERE status IN …</c>), so repeating it is harmless.
/// </summary>
public sealed class OrderTransitions(AppDbContext db, BalanceLedger ledger, OrderMetrics metrics, TimeProvider time)
{
    /// <summary>
    /// <c>paid|processing → failed</c> and the full price back to the partner's balance (ledger
    /// <c>refund</c>, <c>refunded_ton</c> on the order), together. False when the order was not in
    /// one of those states (already failed, completed …): nothing changes.
    /// </summary>
    public async Task<bool> FailAndRefundAsync(long orderId, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        long partnerId;
        long price;
        string previous;
        await using (var command = db.Command(
            """
            UPDATE orders
               SET status = 'failed', failed_at = $2, updated_at = $2, failure_reason = $3, refunded_nanoton = price_nanoton
             WHERE id = $1 AND status IN ('paid', 'processing')
            RETURNING partner_id, price_nanoton, (SELECT o.status FROM orders o WHERE o.id = $1)
            """,
            orderId,
            now,
            reason))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false;
            }

            partnerId = reader.GetInt64(0);
            price = reader.GetInt64(1);
            previous = reader.GetString(2);
        }

        var refund = new LedgerChange(partnerId, LedgerEntryType.Refund, price, orderId, Description: $"refund of order {orderId}: {reason}");
        _ = await ledger.TryApplyAsync(refund, cancellationToken)
            ?? throw new InvalidOperationException($"partner {partnerId} has no balance account");
        await transaction.CommitAsync(cancellationToken);
        metrics.Transition(previous, "failed");
        metrics.Refunded(price);
        return true;
    }
}

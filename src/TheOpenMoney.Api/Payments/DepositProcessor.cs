using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure.Data;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Payments;

/// <summary>Where one deposit's TON went.</summary>
public sealed record DepositOutcome(string Kind, long? OrderId, long? PartnerId, long OrderNanoton, long CreditedNanoton, long UnmatchedNanoton);

/// <summary>
/// Stores deposits (once per <c>tx_hash</c>) and applies the matching rules, each deposit in the
/// caller's transaction:
/// <list type="bullet">
/// <item>orders address, comment = memo of a <c>pending_payment</c> order, dated before its
/// <c>expires_at</c>: added to what the order has received; reaching the price pays it and any
/// excess is credited (<c>overpayment</c>); short of it, it waits (<c>partial_payment</c>);</item>
/// <item>memo of an order that is expired, cancelled, already paid, or dated after expiry: credited
/// to the order's partner (<c>late_payment</c>) and recorded on the order;</item>
/// <item>a partner's top-up address: credited (<c>topup</c>);</item>
/// <item>anything else: kept as <c>unmatched</c> for operators, never dropped.</item>
/// </list>
/// The deposit row is locked while applied and marked applied with the split of its amount, so
/// the poller and the webhook can both see it and it is applied exactly once.
/// </summary>
public sealed partial class DepositProcessor(AppDbContext db, BalanceLedger ledger, TimeProvider time, PaymentMetrics metrics, ILogger<DepositProcessor> logger)
{
    /// <summary>Stores the deposit unless its tx_hash is known; true when it was new.</summary>
    public async Task<bool> RecordAsync(IncomingDeposit deposit, string via, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deposit);
        return await db.ExecuteAsync(
            """
            INSERT INTO deposits (tx_hash, processor_user_id, deposit_address, source_address, amount_nanoton, comment, chain_time, received_via, received_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (tx_hash) DO NOTHING
            """,
            cancellationToken,
            deposit.TxHash,
            deposit.ProcessorUserId,
            deposit.DepositAddress,
            deposit.SourceAddress,
            deposit.AmountNanoton,
            deposit.Comment,
            deposit.ChainTime,
            via,
            time.GetUtcNow()) == 1;
    }

    /// <summary>Applies a stored deposit if it is not applied yet; null when there was nothing to do.</summary>
    public async Task<DepositOutcome?> ApplyAsync(string txHash, CancellationToken cancellationToken)
    {
        long depositId, amount;
        string address;
        string? comment;
        DateTimeOffset chainTime;
        await using (var select = db.Command(
            "SELECT id, deposit_address, amount_nanoton, comment, chain_time FROM deposits WHERE tx_hash = $1 AND applied_at IS NULL FOR UPDATE",
            txHash))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            depositId = reader.GetInt64(0);
            address = reader.GetString(1);
            amount = reader.GetInt64(2);
            comment = reader.Get<string>(3);
            chainTime = reader.GetFieldValue<DateTimeOffset>(4);
        }

        var context = new ApplyContext(depositId, txHash, amount, comment, chainTime);
        var (purpose, partnerId) = await FindAddressAsync(address, cancellationToken);
        var outcome = purpose switch
        {
            "orders" => await ApplyToOrderAsync(context, cancellationToken),
            "topup" => await CreditAsync(context, partnerId!.Value, LedgerEntryType.Topup, null, "topup", $"top-up {Short(txHash)}", cancellationToken),
            _ => Unmatched(context, "not one of our deposit addresses"),
        };

        await db.ExecuteAsync(
            """
            UPDATE deposits
               SET kind = $2, order_id = $3, partner_id = $4, order_nanoton = $5, credited_nanoton = $6, unmatched_nanoton = $7, applied_at = $8
             WHERE id = $1
            """,
            cancellationToken,
            depositId,
            outcome.Kind,
            outcome.OrderId,
            outcome.PartnerId,
            outcome.OrderNanoton,
            outcome.CreditedNanoton,
            outcome.UnmatchedNanoton,
            time.GetUtcNow());
        metrics.DepositApplied(outcome.Kind, amount, time.GetUtcNow() - chainTime);
        return outcome;
    }

    private async Task<DepositOutcome> ApplyToOrderAsync(ApplyContext deposit, CancellationToken cancellationToken)
    {
        var memo = PaymentMemo.Normalize(deposit.Comment);
        if (memo is null)
        {
            return Unmatched(deposit, "no memo in the comment");
        }

        long orderId, partnerId, price, paid;
        string status;
        DateTimeOffset expiresAt;
        await using (var select = db.Command(
            "SELECT id, partner_id, status, price_nanoton, paid_nanoton, expires_at FROM orders WHERE payment_memo = $1 FOR UPDATE",
            memo))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return Unmatched(deposit, "memo matches no order");
            }

            (orderId, partnerId, status, price, paid, expiresAt) =
                (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetFieldValue<DateTimeOffset>(5));
        }

        if (status != "pending_payment" || deposit.ChainTime >= expiresAt)
        {
            await db.ExecuteAsync(
                "UPDATE orders SET late_paid_nanoton = late_paid_nanoton + $2, updated_at = $3 WHERE id = $1",
                cancellationToken,
                orderId,
                deposit.Amount,
                time.GetUtcNow());
            return await CreditAsync(
                deposit, partnerId, LedgerEntryType.LatePayment, orderId, "late_payment", $"late payment for order {orderId} ({status})", cancellationToken);
        }

        var total = paid + deposit.Amount;
        if (total < price)
        {
            await db.ExecuteAsync(
                "UPDATE orders SET paid_nanoton = $2, updated_at = $3 WHERE id = $1 AND status = 'pending_payment'",
                cancellationToken,
                orderId,
                total,
                time.GetUtcNow());
            return new DepositOutcome("partial_payment", orderId, partnerId, deposit.Amount, 0, 0);
        }

        var toOrder = price - paid;
        var excess = total - price;
        await db.ExecuteAsync(
            """
            UPDATE orders SET status = 'paid', paid_at = $2, paid_nanoton = price_nanoton, payment_tx_hash = $3, updated_at = $4
             WHERE id = $1 AND status = 'pending_payment'
            """,
            cancellationToken,
            orderId,
            deposit.ChainTime,
            deposit.TxHash,
            time.GetUtcNow());
        if (excess == 0)
        {
            return new DepositOutcome("order_payment", orderId, partnerId, toOrder, 0, 0);
        }

        var credit = await CreditAsync(
            deposit with { Amount = excess }, partnerId, LedgerEntryType.Overpayment, orderId, "overpayment", $"overpayment of order {orderId}", cancellationToken);
        return credit with { OrderNanoton = toOrder };
    }

    private async Task<DepositOutcome> CreditAsync(
        ApplyContext deposit, long partnerId, LedgerEntryType type, long? orderId, string kind, string description, CancellationToken cancellationToken)
    {
        var change = new LedgerChange(partnerId, type, deposit.Amount, orderId, deposit.TxHash, description, DepositId: deposit.Id);
        _ = await ledger.TryApplyAsync(change, cancellationToken)
            ?? throw new InvalidOperationException($"partner {partnerId} has no balance account");
        return new DepositOutcome(kind, orderId, partnerId, 0, deposit.Amount, 0);
    }

    private DepositOutcome Unmatched(ApplyContext deposit, string why)
    {
        LogUnmatched(logger, deposit.TxHash, deposit.Amount, why);
        return new DepositOutcome("unmatched", null, null, 0, 0, deposit.Amount);
    }

    private async Task<(string? Purpose, long? PartnerId)> FindAddressAsync(string address, CancellationToken cancellationToken)
    {
        var canonical = TonAddress.IsValid(address) ? TonAddress.ToNonBounceable(address) : address;
        await using var command = db.Command("SELECT purpose, partner_id FROM deposit_addresses WHERE address = $1", canonical);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1)) : (null, null);
    }

    private static string Short(string txHash) => txHash.Length > 12 ? txHash[..12] : txHash;

    private sealed record ApplyContext(long Id, string TxHash, long Amount, string? Comment, DateTimeOffset ChainTime);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unmatched deposit {TxHash} of {Nanoton} nanoTON kept for operators: {Reason}")]
    private static partial void LogUnmatched(ILogger logger, string txHash, long nanoton, string reason);
}

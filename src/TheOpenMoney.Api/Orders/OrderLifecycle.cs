using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Api.Orders;

/// <summary>
/// The order state machine's C# owner: every statement in C# that writes <c>orders</c> is in this file.
/// Which moves exist, who makes each and under what guard is <see cref="OrderMachine"/> (read it first);
/// the methods here make the moves it gives to <see cref="OrderMover.Lifecycle"/>, taking their from/to
/// statuses from it, and the one SQL function that pays orders (<c>order_receive_payment</c>, migration
/// <c>0012_order_functions.sql</c>) makes the rest. Each move is a guarded statement
/// (<c>UPDATE … WHERE status = …</c>), so repeating one is harmless and two racing callers cannot both
/// win; each runs in one transaction with the money it moves (<see cref="UnitOfWork"/>: its own, or the
/// caller's when one is open), and the <c>tr_orders_events</c> trigger (migration 0008) writes its event
/// in that transaction. TonRamp's links and status ride along on the order without changing its status.
/// </summary>
public sealed class OrderLifecycle(
    AppDbContext db,
    UnitOfWork unitOfWork,
    BalanceLedger ledger,
    OrderMetrics metrics,
    TimeProvider time,
    IOptions<OrderOptions> options)
{
    private const int MemoAttempts = 8;

    /// <summary>The status as stored and as partners see it (<c>pending_payment</c> …).</summary>
    public static string Text(OrderStatus status) => EnumText<OrderStatus>.ToText(status);

    /// <summary>
    /// <c>(new) → pending_payment</c>, or <c>(new) → paid</c> for <c>balance</c> with the price debited
    /// (409 <c>INSUFFICIENT_BALANCE</c> otherwise, and nothing is written). Fills in the status,
    /// times, a fresh unique memo and the id of <paramref name="order"/>.
    /// </summary>
    public Task<Order> CreateAsync(Order order, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        return unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                var paidFromBalance = order.PaymentMethod == PaymentMethod.Balance;
                var creation = paidFromBalance ? OrderMachine.CreatePaidFromBalance : OrderMachine.CreateUnpaid;
                order.Status = creation.To!.Value;
                order.CreatedAt = order.UpdatedAt = now;
                order.ExpiresAt = now + options.Value.Ttl;
                order.PaidAt = paidFromBalance ? now : null;
                order.PaidNanoton = paidFromBalance ? order.PriceNanoton : 0;
                order.Id = await InsertWithUniqueMemoAsync(order, token);
                if (paidFromBalance)
                {
                    // From the balance in the order's currency: a USDT order is paid from the USDT balance, never from TON.
                    var debit = new LedgerChange(
                        order.PartnerId, LedgerEntryType.OrderPayment, -order.PriceNanoton, order.Id, Description: $"order {order.Id} ({order.PaymentMemo})", Currency: order.PaymentCurrency);
                    if (await ledger.TryApplyAsync(debit, token) is null)
                    {
                        throw ApiException.Conflict(
                            ErrorCodes.InsufficientBalance,
                            $"balance is insufficient for this order (price {PaymentCurrencies.Coins(order.PaymentCurrency, order.PriceNanoton)} {order.PaymentCurrency}); top up or pay with ton_memo");
                    }
                }

                unitOfWork.AfterCommit(() => metrics.Transition(creation));
                return order;
            },
            cancellationToken);
    }

    /// <summary>TonRamp's payment links for a new <c>tonramp</c> order (in the transaction that creates it: no links, no order).</summary>
    public Task AttachTonRampLinksAsync(Order order, string payload, string deepLink, string telegramLink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        return unitOfWork.RunAsync(
            async token =>
            {
                const string Pending = "pending";
                await db.ExecuteAsync(
                    "UPDATE orders SET tonramp_payload = $2, tonramp_deep_link = $3, tonramp_telegram_link = $4, tonramp_status = $5 WHERE id = $1",
                    token,
                    order.Id,
                    payload,
                    deepLink,
                    telegramLink,
                    Pending);
                (order.TonrampPayload, order.TonrampDeepLink, order.TonrampTelegramLink, order.TonrampStatus) = (payload, deepLink, telegramLink, Pending);
                return order;
            },
            cancellationToken);
    }

    /// <summary>TonRamp's latest status for an open <c>tonramp</c> order (null keeps the last one); never a status change of the order.</summary>
    public Task RecordTonRampStatusAsync(long orderId, string? tonRampStatus, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                await using var command = db.Command(
                    "UPDATE orders SET tonramp_status = coalesce($2, tonramp_status), tonramp_checked_at = $3 WHERE id = $1",
                    orderId,
                    tonRampStatus,
                    time.GetUtcNow());
                command.Parameters[1].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar;
                return await command.ExecuteNonQueryAsync(token);
            },
            cancellationToken);

    /// <summary>
    /// <c>pending_payment → cancelled</c> for the partner's own order, with what it received credited
    /// back. False when the order was not pending (the caller says why).
    /// </summary>
    public Task<bool> CancelAsync(long partnerId, long orderId, CancellationToken cancellationToken) =>
        CloseUnpaidAsync(orderId, OrderMachine.Cancel, partnerId, expiredBefore: null, testOnly: false, cancellationToken);

    /// <summary>
    /// <c>pending_payment → expired</c> for orders whose <c>expires_at</c> is before
    /// <paramref name="scannedTo"/>, the instant up to which every deposit has been read (so a payment
    /// dated before expiry can no longer show up). One transaction per order, oldest first, at most
    /// <paramref name="limit"/>; returns how many expired.
    /// </summary>
    public async Task<int> ExpireDueAsync(DateTimeOffset scannedTo, int limit, CancellationToken cancellationToken) =>
        await ExpireDueAsync(scannedTo, livemode: true, limit, cancellationToken);

    /// <summary>
    /// Test-mode orders past <c>expires_at</c>: no processor history to wait for (their money only
    /// arrives through the sandbox routes, dated when it is sent), so they expire on time.
    /// </summary>
    public Task<int> ExpireDueTestOrdersAsync(int limit, CancellationToken cancellationToken) =>
        ExpireDueAsync(time.GetUtcNow(), livemode: false, limit, cancellationToken);

    /// <summary>
    /// <c>pending_payment → expired</c> now for the test key's own pending test order (the sandbox's
    /// <c>/expire</c>), whatever its <c>expires_at</c>; the guard refuses a live order. False when the order
    /// is not a pending test order of this partner.
    /// </summary>
    public Task<bool> ExpireTestOrderNowAsync(long partnerId, long orderId, CancellationToken cancellationToken) =>
        CloseUnpaidAsync(orderId, OrderMachine.Expire, partnerId, expiredBefore: null, testOnly: true, cancellationToken);

    private async Task<int> ExpireDueAsync(DateTimeOffset before, bool livemode, int limit, CancellationToken cancellationToken)
    {
        var scannedTo = before;
        var due = await db.Orders.AsNoTracking()
            .Where(o => o.Status == OrderMachine.Expire.From && o.ExpiresAt < scannedTo && o.Livemode == livemode)
            .OrderBy(o => o.ExpiresAt).Select(o => o.Id).Take(limit)
            .ToListAsync(cancellationToken);
        var expired = 0;
        foreach (var orderId in due)
        {
            expired += await CloseUnpaidAsync(orderId, OrderMachine.Expire, partnerId: null, scannedTo, testOnly: false, cancellationToken) ? 1 : 0;
        }

        return expired;
    }

    /// <summary>
    /// <c>paid → processing</c> (and <c>processing</c> whose lease ran out, again) for up to
    /// <paramref name="batchSize"/> orders, with <c>FOR UPDATE SKIP LOCKED</c> so two workers never
    /// claim one order. Each claimed order is the worker's until <paramref name="lease"/> from now.
    /// </summary>
    public Task<IReadOnlyList<DeliveryClaim>> ClaimForDeliveryAsync(int batchSize, TimeSpan lease, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync<IReadOnlyList<DeliveryClaim>>(
            async token =>
            {
                var now = time.GetUtcNow();
                await using var claim = db.Command(
                    """
                    WITH due AS (
                        SELECT id, status AS previous_status FROM orders
                         WHERE (status = $4 AND (delivery_lease_until IS NULL OR delivery_lease_until <= $1))
                            OR (status = $5 AND delivery_lease_until <= $1)
                         ORDER BY delivery_lease_until NULLS FIRST, id
                         LIMIT $2
                           FOR UPDATE SKIP LOCKED)
                    UPDATE orders o
                       SET status = $5, processing_at = coalesce(o.processing_at, $1), delivery_lease_until = $3,
                           delivery_attempts = o.delivery_attempts + 1, updated_at = $1
                      FROM due
                     WHERE o.id = due.id
                    RETURNING o.id, o.order_type, o.recipient_username, o.stars_amount, o.premium_months, o.delivery_attempts,
                              due.previous_status = $5 OR o.delivery_attempts > 1, due.previous_status, o.livemode
                    """,
                    now,
                    batchSize,
                    now + lease,
                    Text(OrderMachine.Claim.From!.Value),
                    Text(OrderMachine.Reclaim.From!.Value));
                var claimed = new List<DeliveryClaim>();
                var fromPaid = 0;
                await using (var reader = await claim.ExecuteReaderAsync(token))
                {
                    while (await reader.ReadAsync(token))
                    {
                        var order = new Order
                        {
                            Id = reader.GetInt64(0),
                            Status = OrderMachine.Claim.To!.Value,
                            OrderType = EnumText<OrderType>.Parse(reader.GetString(1)),
                            RecipientUsername = reader.GetString(2),
                            StarsAmount = reader.Get<int?>(3),
                            PremiumMonths = reader.Get<int?>(4),
                            DeliveryAttempts = reader.GetInt32(5),
                            Livemode = reader.GetBoolean(8),
                        };
                        claimed.Add(new DeliveryClaim(order, Recovering: reader.GetBoolean(6)));
                        fromPaid += reader.GetString(7) == Text(OrderMachine.Claim.From!.Value) ? 1 : 0;
                    }
                }

                if (fromPaid > 0)
                {
                    unitOfWork.AfterCommit(() => metrics.Transition(OrderMachine.Claim, fromPaid));
                }

                return claimed;
            },
            cancellationToken);

    /// <summary><c>processing → completed</c> with the supplier's reference. False when the order was no longer processing.</summary>
    public Task<bool> CompleteAsync(long orderId, string? supplierReference, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                var completed = await db.Orders.Where(o => o.Id == orderId && o.Status == OrderMachine.Complete.From)
                    .ExecuteUpdateAsync(
                        s => s.SetProperty(o => o.Status, OrderMachine.Complete.To!.Value)
                            .SetProperty(o => o.CompletedAt, now)
                            .SetProperty(o => o.SupplierReference, supplierReference)
                            .SetProperty(o => o.DeliveryLeaseUntil, (DateTimeOffset?)null)
                            .SetProperty(o => o.LastDeliveryError, (string?)null)
                            .SetProperty(o => o.UpdatedAt, now),
                        token) == 1;
                if (completed)
                {
                    unitOfWork.AfterCommit(() => metrics.Transition(OrderMachine.Complete));
                }

                return completed;
            },
            cancellationToken);

    /// <summary><c>processing</c> stays, its lease moved to <paramref name="retryAt"/> (when the next attempt may claim it).</summary>
    public Task<bool> ScheduleDeliveryRetryAsync(long orderId, DateTimeOffset retryAt, string? reason, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                return await db.Orders.Where(o => o.Id == orderId && o.Status == OrderMachine.RetryLater.From)
                    .ExecuteUpdateAsync(
                        s => s.SetProperty(o => o.DeliveryLeaseUntil, retryAt)
                            .SetProperty(o => o.LastDeliveryError, reason)
                            .SetProperty(o => o.UpdatedAt, now),
                        token) == 1;
            },
            cancellationToken);

    /// <summary>
    /// <c>paid|processing → failed</c> and the full price back to the partner's balance (ledger
    /// <c>refund</c>, <c>refunded_ton</c> on the order), together. False when the order was not in
    /// one of those states (already failed, completed …): nothing changes.
    /// </summary>
    public Task<bool> FailAndRefundAsync(long orderId, string reason, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                long partnerId, price;
                string currency;
                OrderTransition failure;
                await using (var command = db.Command(
                    """
                    UPDATE orders
                       SET status = $4, failed_at = $2, updated_at = $2, failure_reason = $3, refunded_nanoton = price_nanoton
                     WHERE id = $1 AND status IN ($5, $6)
                    RETURNING partner_id, price_nanoton, (SELECT o.status FROM orders o WHERE o.id = $1), payment_currency
                    """,
                    orderId,
                    now,
                    reason,
                    Text(OrderMachine.FailPaid.To!.Value),
                    Text(OrderMachine.FailPaid.From!.Value),
                    Text(OrderMachine.FailProcessing.From!.Value)))
                {
                    await using var reader = await command.ExecuteReaderAsync(token);
                    if (!await reader.ReadAsync(token))
                    {
                        return false;
                    }

                    (partnerId, price, currency) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(3));
                    failure = EnumText<OrderStatus>.Parse(reader.GetString(2)) == OrderMachine.FailPaid.From ? OrderMachine.FailPaid : OrderMachine.FailProcessing;
                }

                // In the currency the order was paid in.
                var refund = new LedgerChange(partnerId, LedgerEntryType.Refund, price, orderId, Description: $"refund of order {orderId}: {reason}", Currency: currency);
                _ = await ledger.TryApplyAsync(refund, token)
                    ?? throw new InvalidOperationException($"partner {partnerId} has no balance account");
                unitOfWork.AfterCommit(() =>
                {
                    metrics.Transition(failure);
                    metrics.Refunded(currency, price);
                });
                return true;
            },
            cancellationToken);

    /// <summary>
    /// The step cancel and expire share: <c>pending_payment → cancelled|expired</c>, and a short
    /// payment already received goes back to the partner's balance (ledger <c>underpayment</c>,
    /// <c>refunded_ton</c> on the order) in the same transaction.
    /// </summary>
    private Task<bool> CloseUnpaidAsync(long orderId, OrderTransition closing, long? partnerId, DateTimeOffset? expiredBefore, bool testOnly, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var closedAs = closing.To!.Value;
                var closedAtColumn = closedAs switch
                {
                    OrderStatus.Cancelled => "cancelled_at",
                    OrderStatus.Expired => "expired_at",
                    _ => throw new ArgumentOutOfRangeException(nameof(closing), closing, "an unpaid order is only cancelled or expired"),
                };
                var now = time.GetUtcNow();
                await using var command = db.Command(
                    $"""
                     UPDATE orders SET status = $2, {closedAtColumn} = $3, updated_at = $3, refunded_nanoton = paid_nanoton
                      WHERE id = $1 AND status = $4 AND partner_id = coalesce($5, partner_id) AND expires_at < coalesce($6, 'infinity')
                        AND NOT (livemode AND $7)
                     RETURNING partner_id, paid_nanoton, payment_currency
                     """,
                    orderId,
                    Text(closedAs),
                    now,
                    Text(closing.From!.Value),
                    partnerId,
                    expiredBefore,
                    testOnly);
                command.Parameters[4].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint;
                command.Parameters[5].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz;
                long owner, received;
                string currency;
                await using (var reader = await command.ExecuteReaderAsync(token))
                {
                    if (!await reader.ReadAsync(token))
                    {
                        return false;
                    }

                    (owner, received, currency) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2));
                }

                if (received > 0)
                {
                    var credit = new LedgerChange(
                        owner, LedgerEntryType.Underpayment, received, orderId, Description: $"short payment of {Text(closedAs)} order {orderId}", Currency: currency);
                    _ = await ledger.TryApplyAsync(credit, token) ?? throw new InvalidOperationException($"partner {owner} has no balance account");
                }

                unitOfWork.AfterCommit(() => metrics.Transition(closing));
                return true;
            },
            cancellationToken);

    private async Task<long> InsertWithUniqueMemoAsync(Order order, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MemoAttempts; attempt++)
        {
            order.PaymentMemo = PaymentMemo.New(order.OrderType == OrderType.Stars ? "STARS-" : "PREMIUM-");
            await using var command = db.Command(
                """
                INSERT INTO orders (partner_id, status, order_type, stars_amount, premium_months, recipient_username, recipient_check,
                                    price_nanoton, price_usd, fee_percent, ton_usd_rate, rate_source, payment_method, payment_currency,
                                    payment_address, payment_memo, client_reference, expires_at, created_at, updated_at, paid_at, paid_nanoton, livemode,
                                    ton_quote_nanoton, payment_jetton)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20, $21, $22, $23, $24)
                ON CONFLICT (payment_memo) DO NOTHING
                RETURNING id
                """,
                order.PartnerId,
                Text(order.Status),
                EnumText<OrderType>.ToText(order.OrderType),
                order.StarsAmount,
                order.PremiumMonths,
                order.RecipientUsername,
                order.RecipientCheck,
                order.PriceNanoton,
                order.PriceUsd,
                order.FeePercent,
                order.TonUsdRate,
                order.RateSource,
                EnumText<PaymentMethod>.ToText(order.PaymentMethod),
                order.PaymentCurrency,
                order.PaymentAddress,
                order.PaymentMemo,
                order.ClientReference,
                order.ExpiresAt,
                order.CreatedAt,
                order.PaidAt,
                order.PaidNanoton,
                order.Livemode,
                order.TonQuoteNanoton,
                order.PaymentJetton);
            if (await command.ExecuteScalarAsync(cancellationToken) is long id)
            {
                return id;
            }
        }

        throw new InvalidOperationException($"no free memo after {MemoAttempts} attempts");
    }
}

/// <summary>An order claimed for delivery; <c>Recovering</c> when an earlier attempt may have reached the supplier.</summary>
public sealed record DeliveryClaim(Order Order, bool Recovering);

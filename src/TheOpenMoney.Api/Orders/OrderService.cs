using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure;
using TheOpenMoney.Api.Infrastructure.Data;
using TheOpenMoney.Api.Infrastructure.Errors;
using TheOpenMoney.Api.Infrastructure.Idempotency;
using TheOpenMoney.Api.Payments;
using TheOpenMoney.Api.Pricing;
using TheOpenMoney.Api.Recipients;
using TheOpenMoney.Api.TonRamp;

namespace TheOpenMoney.Api.Orders;

/// <summary>What a partner asked for, validated and normalised.</summary>
public sealed record NewOrder(OrderType Type, string RecipientUsername, int? StarsAmount, int? PremiumMonths, PaymentMethod PaymentMethod, string? ClientReference);

/// <summary>
/// Creating, cancelling and reading orders. Everything a partner can see is scoped to that
/// partner: another partner's order is simply not found.
/// </summary>
public sealed class OrderService(
    AppDbContext db,
    ReadOnlyDbContext reads,
    [FromKeyedServices(DataSources.Reads)] NpgsqlDataSource readSource,
    IdempotencyService idempotency,
    PricingService pricing,
    IRecipientDirectory recipients,
    IPaymentAddresses addresses,
    BalanceLedger ledger,
    ITonRampGateway tonRamp,
    OrderMetrics metrics,
    TimeProvider time,
    IOptions<OrderOptions> options)
{
    private const int MemoAttempts = 8;

    // The hottest read: compiled once, so a request skips EF's query-cache lookup.
    private static readonly Func<ReadOnlyDbContext, long, long, CancellationToken, Task<Order?>> FindById =
        EF.CompileAsyncQuery((ReadOnlyDbContext context, long orderId, long partnerId, CancellationToken _) =>
            context.Orders.FirstOrDefault(o => o.Id == orderId && o.PartnerId == partnerId));

    /// <summary>
    /// Prices the order, checks the recipient, and then, in one transaction with the idempotency
    /// key claimed, inserts it under a fresh unique memo and (for <c>balance</c>) debits the price.
    /// External calls (rate, recipient directory) happen before the transaction opens.
    /// </summary>
    public async Task<IdempotentResult> CreateAsync(long partnerId, NewOrder request, IdempotentRequest? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await idempotency.TryReplayAsync(partnerId, idempotencyKey, cancellationToken) is { } replay)
        {
            return replay;
        }

        var quote = request.Type == OrderType.Stars
            ? await pricing.QuoteStarsAsync(request.StarsAmount!.Value, cancellationToken)
            : await pricing.QuotePremiumAsync(request.PremiumMonths!.Value, cancellationToken);
        var product = request.Type == OrderType.Stars ? RecipientProduct.Stars : RecipientProduct.Premium;
        var recipient = await recipients.CheckAsync(request.RecipientUsername, product, request.PremiumMonths, cancellationToken);
        if (recipient.CanReceive == false)
        {
            throw new ApiException(
                StatusCodes.Status422UnprocessableEntity,
                DomainErrors.RecipientNotEligible,
                $"@{request.RecipientUsername} cannot receive {(product == RecipientProduct.Stars ? "Stars" : "Premium")}: {recipient.Reason}");
        }

        var paymentAddress = request.PaymentMethod == PaymentMethod.Balance ? null : await addresses.GetOrdersAddressAsync(cancellationToken);
        var created = await idempotency.ExecuteAsync(
            partnerId,
            idempotencyKey,
            async token =>
            {
                var now = time.GetUtcNow();
                var paidFromBalance = request.PaymentMethod == PaymentMethod.Balance;
                var order = new Order
                {
                    PartnerId = partnerId,
                    Status = paidFromBalance ? OrderStatus.Paid : OrderStatus.PendingPayment,
                    OrderType = request.Type,
                    StarsAmount = request.StarsAmount,
                    PremiumMonths = request.PremiumMonths,
                    RecipientUsername = request.RecipientUsername,
                    RecipientCheck = recipient.CanReceive == true ? RecipientCheckOutcome.Eligible : RecipientCheckOutcome.Unknown,
                    PriceNanoton = quote.PriceNanoton,
                    PriceUsd = quote.PriceUsd,
                    FeePercent = quote.FeePercent,
                    TonUsdRate = quote.Rate.TonUsd,
                    RateSource = quote.Rate.Source,
                    PaymentMethod = request.PaymentMethod,
                    PaymentCurrency = "TON",
                    PaymentAddress = paymentAddress,
                    ClientReference = request.ClientReference,
                    ExpiresAt = now + options.Value.Ttl,
                    CreatedAt = now,
                    UpdatedAt = now,
                    PaidAt = paidFromBalance ? now : null,
                    PaidNanoton = paidFromBalance ? quote.PriceNanoton : 0,
                };
                order.Id = await InsertWithUniqueMemoAsync(order, token);
                if (request.PaymentMethod == PaymentMethod.Tonramp)
                {
                    // Inside the transaction: if TonRamp cannot make the links, the order is rolled back.
                    var links = await tonRamp.CreateLinksAsync(order.PaymentAddress!, order.PriceNanoton, order.PaymentMemo, token);
                    (order.TonrampPayload, order.TonrampDeepLink, order.TonrampTelegramLink, order.TonrampStatus) =
                        (links.Payload, links.DeepLink, links.TelegramLink, "pending");
                    await db.ExecuteAsync(
                        "UPDATE orders SET tonramp_payload = $2, tonramp_deep_link = $3, tonramp_telegram_link = $4, tonramp_status = 'pending' WHERE id = $1",
                        token,
                        order.Id,
                        links.Payload,
                        links.DeepLink,
                        links.TelegramLink);
                }

                if (paidFromBalance)
                {
                    var debit = new LedgerChange(partnerId, LedgerEntryType.OrderPayment, -order.PriceNanoton, order.Id, Description: $"order {order.Id} ({order.PaymentMemo})");
                    if (await ledger.TryApplyAsync(debit, token) is null)
                    {
                        throw ApiException.Conflict(
                            DomainErrors.InsufficientBalance,
                            $"balance is insufficient for this order (price {Ton.FromNano(order.PriceNanoton)} TON); top up or pay with ton_memo");
                    }
                }

                return order.ToResponse();
            },
            cancellationToken);
        if (!created.Replayed)
        {
            metrics.Transition(null, request.PaymentMethod == PaymentMethod.Balance ? "paid" : "pending_payment");
        }

        return created;
    }

    /// <summary><c>pending_payment → cancelled</c> (guarded in SQL). Cancelling a cancelled order answers it again; any other state is 409.</summary>
    public async Task<IdempotentResult> CancelAsync(long partnerId, long orderId, IdempotentRequest? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await idempotency.TryReplayAsync(partnerId, idempotencyKey, cancellationToken) is { } replay)
        {
            return replay;
        }

        var cancelledNow = false;
        var result = await idempotency.ExecuteAsync(
            partnerId,
            idempotencyKey,
            async token =>
            {
                var now = time.GetUtcNow();
                long? held = null;
                await using (var cancel = db.Command(
                    """
                    UPDATE orders SET status = 'cancelled', cancelled_at = $3, updated_at = $3, refunded_nanoton = paid_nanoton
                     WHERE id = $1 AND partner_id = $2 AND status = 'pending_payment'
                    RETURNING paid_nanoton
                    """,
                    orderId,
                    partnerId,
                    now))
                {
                    held = await cancel.ExecuteScalarAsync(token) as long?;
                }

                cancelledNow = held is not null;
                if (held > 0)
                {
                    // TON already received for the order goes back to the partner's balance.
                    var credit = new LedgerChange(partnerId, LedgerEntryType.Underpayment, held.Value, orderId, Description: $"short payment of cancelled order {orderId}");
                    _ = await ledger.TryApplyAsync(credit, token) ?? throw new InvalidOperationException("partner has no balance account");
                }

                // Inside the transaction: it must see the update above.
                var order = await FindAsync(db, partnerId, orderId, token);
                if (held is null && order.Status != OrderStatus.Cancelled)
                {
                    throw ApiException.Conflict(
                        DomainErrors.OrderNotCancellable,
                        $"order {orderId} is {EnumText<OrderStatus>.ToText(order.Status)}; only pending_payment orders can be cancelled");
                }

                return order.ToResponse();
            },
            cancellationToken);
        if (cancelledNow)
        {
            metrics.Transition("pending_payment", "cancelled");
        }

        return result;
    }

    public async Task<Order> FindAsync(long partnerId, long orderId, CancellationToken cancellationToken) =>
        await FindById(reads, orderId, partnerId, cancellationToken) ?? throw ApiException.NotFound("order");

    public async Task<Order> FindByMemoAsync(long partnerId, string memo, CancellationToken cancellationToken)
    {
        var canonical = PaymentMemo.Normalize(memo) ?? throw ApiException.NotFound("order");
        return await reads.Orders.FirstOrDefaultAsync(o => o.PaymentMemo == canonical && o.PartnerId == partnerId, cancellationToken)
            ?? throw ApiException.NotFound("order");
    }

    public async Task<Page<OrderResponse>> ListAsync(long partnerId, ListOrdersQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var orders = reads.Orders.Where(o => o.PartnerId == partnerId);
        if (EnumText<OrderStatus>.TryParse(query.Status, out var status))
        {
            orders = orders.Where(o => o.Status == status);
        }

        if (EnumText<OrderType>.TryParse(query.OrderType, out var type))
        {
            orders = orders.Where(o => o.OrderType == type);
        }

        if (query.CreatedFrom is { } from)
        {
            orders = orders.Where(o => o.CreatedAt >= from);
        }

        if (query.CreatedTo is { } to)
        {
            orders = orders.Where(o => o.CreatedAt < to);
        }

        if (query.ClientReference is { } reference)
        {
            orders = orders.Where(o => o.ClientReference == reference);
        }

        // One round trip: the total rides along with each row (an uncorrelated subquery PostgreSQL
        // runs once); only a page past the end needs its own count.
        var rows = await orders
            .OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id)
            .Skip(query.Skip).Take(query.Take)
            .Select(o => new { Order = o, Total = orders.Count() })
            .ToListAsync(cancellationToken);
        var total = rows.Count > 0 ? rows[0].Total : await orders.CountAsync(cancellationToken);
        return new Page<OrderResponse>(rows.Select(r => r.Order.ToResponse()).ToList(), total, query.Take, query.Skip);
    }

    /// <summary>Counts and sums over the partner's orders created in [from, to).</summary>
    public async Task<OrderStatsResponse> StatsAsync(long partnerId, StatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var command = readSource.CreateCommand(
            """
            SELECT status, order_type, payment_method, count(*),
                   coalesce(sum(stars_amount) FILTER (WHERE status = 'completed'), 0),
                   coalesce(sum(premium_months) FILTER (WHERE status = 'completed'), 0),
                   coalesce(sum(paid_nanoton + late_paid_nanoton) FILTER (WHERE payment_method <> 'balance'), 0),
                   coalesce(sum(price_nanoton) FILTER (WHERE status IN ('paid', 'processing', 'completed')), 0),
                   coalesce(sum(refunded_nanoton), 0)
              FROM orders
             WHERE partner_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
             GROUP BY status, order_type, payment_method
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = partnerId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.From ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.To ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var byStatus = EnumText<OrderStatus>.All.ToDictionary(s => s, _ => 0L, StringComparer.Ordinal);
        var byType = EnumText<OrderType>.All.ToDictionary(t => t, _ => 0L, StringComparer.Ordinal);
        var byMethod = EnumText<PaymentMethod>.All.ToDictionary(m => m, _ => 0L, StringComparer.Ordinal);
        long total = 0, stars = 0, months = 0, received = 0, spent = 0, refunded = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var count = reader.GetInt64(3);
                byStatus[reader.GetString(0)] += count;
                byType[reader.GetString(1)] += count;
                byMethod[reader.GetString(2)] += count;
                total += count;
                stars += reader.GetInt64(4);
                months += reader.GetInt64(5);
                received += (long)reader.GetDecimal(6);
                spent += (long)reader.GetDecimal(7);
                refunded += (long)reader.GetDecimal(8);
            }
        }

        return new OrderStatsResponse(
            query.From, query.To, total, byStatus, byType, byMethod, stars, months, Ton.FromNano(received), Ton.FromNano(spent), Ton.FromNano(refunded));
    }

    private static async Task<Order> FindAsync(AppDbContext context, long partnerId, long orderId, CancellationToken cancellationToken) =>
        await context.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.Id == orderId && o.PartnerId == partnerId, cancellationToken)
        ?? throw ApiException.NotFound("order");

    private async Task<long> InsertWithUniqueMemoAsync(Order order, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MemoAttempts; attempt++)
        {
            order.PaymentMemo = PaymentMemo.New(order.OrderType);
            await using var command = db.Command(
                """
                INSERT INTO orders (partner_id, status, order_type, stars_amount, premium_months, recipient_username, recipient_check,
                                    price_nanoton, price_usd, fee_percent, ton_usd_rate, rate_source, payment_method, payment_currency,
                                    payment_address, payment_memo, client_reference, expires_at, created_at, updated_at, paid_at, paid_nanoton)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20, $21)
                ON CONFLICT (payment_memo) DO NOTHING
                RETURNING id
                """,
                order.PartnerId,
                EnumText<OrderStatus>.ToText(order.Status),
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
                order.PaidNanoton);
            if (await command.ExecuteScalarAsync(cancellationToken) is long id)
            {
                return id;
            }
        }

        throw new InvalidOperationException($"no free memo after {MemoAttempts} attempts");
    }
}

/// <param name="From">Start of the period (inclusive), when given.</param>
/// <param name="To">End of the period (exclusive), when given.</param>
/// <param name="TotalOrders">Orders created in the period.</param>
/// <param name="ByStatus">Orders per status (every status listed).</param>
/// <param name="ByType">Orders per type.</param>
/// <param name="ByPaymentMethod">Orders per payment method (ton_memo, balance, tonramp).</param>
/// <param name="StarsDelivered">Stars of completed orders.</param>
/// <param name="PremiumMonthsDelivered">Premium months of completed orders.</param>
/// <param name="TonReceived">TON received on-chain for these orders (<c>ton_memo</c>, <c>tonramp</c>), late payments included.</param>
/// <param name="TonSpent">Price of the orders that were paid and not failed (any method).</param>
/// <param name="TonRefunded">TON refunded to the balance: failed deliveries and short payments of expired or cancelled orders.</param>
public sealed record OrderStatsResponse(
    DateTimeOffset? From,
    DateTimeOffset? To,
    long TotalOrders,
    IReadOnlyDictionary<string, long> ByStatus,
    IReadOnlyDictionary<string, long> ByType,
    IReadOnlyDictionary<string, long> ByPaymentMethod,
    long StarsDelivered,
    long PremiumMonthsDelivered,
    decimal TonReceived,
    decimal TonSpent,
    decimal TonRefunded);

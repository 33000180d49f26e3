using TheOpenMoney.Api.Infrastructure.Paging;
using TheOpenMoney.Api.Pricing;
using TheOpenMoney.Api.Recipients;

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
    UnitOfWork unitOfWork,
    OrderLifecycle lifecycle,
    PricingService pricing,
    ForMode<IRecipientDirectory> recipients,
    ForMode<IOrderPaymentAddress> addresses,
    ForMode<ITonRampGateway> tonRamp)
{
    private static readonly string[] SpentStatuses = [.. new[] { OrderStatus.Paid, OrderStatus.Processing, OrderStatus.Completed }.Select(OrderLifecycle.Text)];

    // The hottest read: compiled once, so a request skips EF's query-cache lookup.
    private static readonly Func<ReadOnlyDbContext, long, long, CancellationToken, Task<Order?>> FindById =
        EF.CompileAsyncQuery((ReadOnlyDbContext context, long orderId, long partnerId, CancellationToken _) =>
            context.Orders.FirstOrDefault(o => o.Id == orderId && o.PartnerId == partnerId));

    /// <summary>
    /// Prices the order, checks the recipient, and then, in one transaction, creates it
    /// (<see cref="OrderLifecycle.CreateAsync"/>) with TonRamp's links when paid through TonRamp.
    /// External calls (rate, recipient directory) happen before the transaction opens. A test-mode order
    /// (<paramref name="livemode"/> false) uses the simulated directory, a sandbox address and simulated
    /// TonRamp links: it never calls anyone outside.
    /// </summary>
    public async Task<OrderResponse> CreateAsync(long partnerId, bool livemode, NewOrder request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var quote = request.Type == OrderType.Stars
            ? await pricing.QuoteStarsAsync(request.StarsAmount!.Value, cancellationToken)
            : await pricing.QuotePremiumAsync(request.PremiumMonths!.Value, cancellationToken);
        var product = request.Type == OrderType.Stars ? RecipientProduct.Stars : RecipientProduct.Premium;
        var recipient = await recipients.Get(livemode).CheckAsync(request.RecipientUsername, product, request.PremiumMonths, cancellationToken);
        if (recipient.CanReceive == false)
        {
            throw new ApiException(
                StatusCodes.Status422UnprocessableEntity,
                ErrorCodes.RecipientNotEligible,
                $"@{request.RecipientUsername} cannot receive {(product == RecipientProduct.Stars ? "Stars" : "Premium")}: {recipient.Reason}");
        }

        var paymentAddress = request.PaymentMethod == PaymentMethod.Balance ? null : await addresses.Get(livemode).GetOrdersAddressAsync(cancellationToken);
        var draft = new Order
        {
            PartnerId = partnerId,
            Livemode = livemode,
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
        };
        return await unitOfWork.RunAsync(
            async token =>
            {
                var order = await lifecycle.CreateAsync(draft, token);
                if (order.PaymentMethod == PaymentMethod.Tonramp)
                {
                    // Inside the transaction: if TonRamp cannot make the links, the order is rolled back.
                    var links = await tonRamp.Get(livemode).CreateLinksAsync(order.PaymentAddress!, order.PriceNanoton, order.PaymentMemo, token);
                    await lifecycle.AttachTonRampLinksAsync(order, links.Payload, links.DeepLink, links.TelegramLink, token);
                }

                return order.ToResponse();
            },
            cancellationToken);
    }

    /// <summary><c>pending_payment → cancelled</c> (<see cref="OrderLifecycle.CancelAsync"/>). Cancelling a cancelled order answers it again; any other state is 409.</summary>
    public Task<OrderResponse> CancelAsync(long partnerId, long orderId, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var cancelledNow = await lifecycle.CancelAsync(partnerId, orderId, token);
                // Inside the transaction: it must see the update above.
                var order = await FindAsync(db, partnerId, orderId, token);
                if (!cancelledNow && order.Status != OrderStatus.Cancelled)
                {
                    throw ApiException.Conflict(
                        ErrorCodes.OrderNotCancellable,
                        $"order {orderId} is {OrderLifecycle.Text(order.Status)}; only pending_payment orders can be cancelled");
                }

                return order.ToResponse();
            },
            cancellationToken);

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
            .Skip(query.RowsToSkip()).Take(query.PageSize())
            .Select(o => new { Order = o, Total = orders.Count() })
            .ToListAsync(cancellationToken);
        var total = rows.Count > 0 ? rows[0].Total : await orders.CountAsync(cancellationToken);
        return new Page<OrderResponse>(rows.Select(r => r.Order.ToResponse()).ToList(), total, query.PageSize(), query.RowsToSkip());
    }

    /// <summary>Counts and sums over the partner's orders created in [from, to).</summary>
    public async Task<OrderStatsResponse> StatsAsync(long partnerId, StatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var command = readSource.CreateCommand(
            """
            SELECT status, order_type, payment_method, count(*),
                   coalesce(sum(stars_amount) FILTER (WHERE status = $4), 0),
                   coalesce(sum(premium_months) FILTER (WHERE status = $4), 0),
                   coalesce(sum(paid_nanoton + late_paid_nanoton) FILTER (WHERE payment_method <> 'balance'), 0),
                   coalesce(sum(price_nanoton) FILTER (WHERE status = ANY ($5)), 0),
                   coalesce(sum(refunded_nanoton), 0)
              FROM orders
             WHERE partner_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
             GROUP BY status, order_type, payment_method
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = partnerId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.From ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.To ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = OrderLifecycle.Text(OrderStatus.Completed) });
        // Spent: paid and not refunded (a failed order's price came back).
        command.Parameters.Add(new NpgsqlParameter { Value = SpentStatuses });
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
            query.From, query.To, total, byStatus, byType, byMethod, stars, months, TonAmount.FromNano(received), new Nanoton(received), TonAmount.FromNano(spent), new Nanoton(spent), TonAmount.FromNano(refunded), new Nanoton(refunded));
    }

    private static async Task<Order> FindAsync(AppDbContext context, long partnerId, long orderId, CancellationToken cancellationToken) =>
        await context.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.Id == orderId && o.PartnerId == partnerId, cancellationToken)
        ?? throw ApiException.NotFound("order");
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
/// <param name="NanotonReceived"><c>ton_received</c> in nanoTON (1 TON = 10⁹), exact, as a string.</param>
/// <param name="TonSpent">Price of the orders that were paid and not failed (any method).</param>
/// <param name="NanotonSpent"><c>ton_spent</c> in nanoTON, exact, as a string.</param>
/// <param name="TonRefunded">TON refunded to the balance: failed deliveries and short payments of expired or cancelled orders.</param>
/// <param name="NanotonRefunded"><c>ton_refunded</c> in nanoTON, exact, as a string.</param>
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
    Nanoton NanotonReceived,
    decimal TonSpent,
    Nanoton NanotonSpent,
    decimal TonRefunded,
    Nanoton NanotonRefunded);

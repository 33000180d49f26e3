using System.Text.Json.Serialization;
using TheOpenMoney.Api.Pricing;
using TheOpenMoney.Api.Recipients;

namespace TheOpenMoney.Api.Orders;

/// <summary>What a partner asked for, validated and normalised; <c>PaymentCurrency</c> is <c>TON</c> or <c>USDT</c>.</summary>
public sealed record NewOrder(
    OrderType Type, string RecipientUsername, int? StarsAmount, int? PremiumMonths, PaymentMethod PaymentMethod, string? ClientReference,
    string PaymentCurrency = PaymentCurrencies.Ton);

/// <summary>
/// Creating and cancelling orders (the reads are <see cref="OrderReads"/>). Everything a partner can touch is
/// scoped to that partner: another partner's order is simply not found.
/// </summary>
public sealed class OrderService(
    AppDbContext db,
    UnitOfWork unitOfWork,
    OrderLifecycle lifecycle,
    PricingService pricing,
    ForMode<IRecipientDirectory> recipients,
    ForMode<IOrderPaymentAddress> addresses,
    ForMode<ITonRampGateway> tonRamp,
    IOptions<UsdtOptions> usdt)
{
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
        var inUsdt = request.PaymentCurrency == PaymentCurrencies.Usdt;
        if (inUsdt && !usdt.Value.Enabled)
        {
            throw ApiException.Validation("payment_currency USDT is not offered here (Payments:UsdtMaster is not set); pay in TON");
        }

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

        var paymentAddress = request.PaymentMethod == PaymentMethod.Balance
            ? null
            : await addresses.Get(livemode).GetOrdersAddressAsync(request.PaymentCurrency, cancellationToken);
        var draft = new Order
        {
            PartnerId = partnerId,
            Livemode = livemode,
            OrderType = request.Type,
            StarsAmount = request.StarsAmount,
            PremiumMonths = request.PremiumMonths,
            RecipientUsername = request.RecipientUsername,
            RecipientCheck = recipient.CanReceive == true ? RecipientCheckOutcome.Eligible : RecipientCheckOutcome.Unknown,
            // What is due, in the order's currency; a USDT order keeps its TON equivalent for reference only.
            PriceNanoton = inUsdt ? quote.PriceUsdt.Units : quote.PriceNanoton,
            TonQuoteNanoton = inUsdt ? quote.PriceNanoton : null,
            PriceUsd = quote.PriceUsd,
            FeePercent = quote.FeePercent,
            TonUsdRate = quote.Rate.TonUsd,
            RateSource = quote.Rate.Source,
            PaymentMethod = request.PaymentMethod,
            PaymentCurrency = request.PaymentCurrency,
            PaymentJetton = inUsdt ? usdt.Value.UsdtMaster : null,
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
/// <param name="UsdtReceived">Only when the period has a USDT order (left out otherwise): USDT received on-chain for USDT orders, late payments included. The TON figures never include USDT.</param>
/// <param name="UsdtReceivedUnits"><c>usdt_received</c> in base units (10⁻⁶ USDT), exact, as a string.</param>
/// <param name="UsdtSpent">Only with a USDT order in the period: price of the USDT orders that were paid and not failed.</param>
/// <param name="UsdtSpentUnits"><c>usdt_spent</c> in base units, exact, as a string.</param>
/// <param name="UsdtRefunded">Only with a USDT order in the period: USDT refunded to the USDT balance.</param>
/// <param name="UsdtRefundedUnits"><c>usdt_refunded</c> in base units, exact, as a string.</param>
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
    Nanoton NanotonRefunded,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? UsdtReceived = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? UsdtReceivedUnits = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? UsdtSpent = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? UsdtSpentUnits = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? UsdtRefunded = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? UsdtRefundedUnits = null);

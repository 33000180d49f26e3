using System.Text.Json.Serialization;
using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Api.Orders;

/// <summary>An order as partners see it. TON amounts are decimals with at most 9 fraction digits, each with its exact twin in nanoTON (a string).</summary>
/// <param name="Id">Order id.</param>
/// <param name="Livemode"><c>true</c> for a live order, <c>false</c> for a test-mode order (made with an <c>osk_test_</c> key: simulated money).</param>
/// <param name="Status"><c>pending_payment</c>, <c>paid</c>, <c>processing</c>, <c>completed</c>, <c>expired</c>, <c>cancelled</c> or <c>failed</c>.</param>
/// <param name="OrderType"><c>stars</c> or <c>premium</c>.</param>
/// <param name="StarsAmount">Stars ordered (Stars orders).</param>
/// <param name="PremiumMonths">Plan length (Premium orders).</param>
/// <param name="RecipientUsername">Recipient, without <c>@</c>.</param>
/// <param name="RecipientCheck"><c>ELIGIBLE</c>, or <c>UNKNOWN</c> when the directory could not be asked at creation.</param>
/// <param name="PriceTon">Price in TON, locked at creation (for a USDT order: the TON it came to at the rate used, for reference; what is due is <c>price_usdt</c>).</param>
/// <param name="PriceNanoton"><c>price_ton</c> in nanoTON (1 TON = 10⁹), exact, as a string: what a wallet sends.</param>
/// <param name="PriceUsd">Price in USD, fee included.</param>
/// <param name="FeePercent">Fee applied, in percent.</param>
/// <param name="TonUsdRate">TON/USD rate the price was computed with.</param>
/// <param name="PaymentMethod"><c>ton_memo</c>, <c>balance</c> or <c>tonramp</c>.</param>
/// <param name="PaymentCurrency"><c>TON</c>, or <c>USDT</c> (Tether USD on TON): what the order is paid in. The <c>*_ton</c> amounts count TON only, so a USDT order's are 0 (its price_ton aside); its amounts are the <c>*_usdt</c> ones.</param>
/// <param name="PaymentAddress">Where to send the payment (null for <c>balance</c>): for USDT, the owner address a jetton transfer names as its destination.</param>
/// <param name="PaymentMemo">The transfer comment that identifies this order.</param>
/// <param name="ExpiresAt">Pay before this instant.</param>
/// <param name="CreatedAt">Creation time.</param>
/// <param name="PaidAt">When the payment was complete.</param>
/// <param name="CompletedAt">When delivery completed.</param>
/// <param name="CancelledAt">When the order was cancelled.</param>
/// <param name="ExpiredAt">When the order expired unpaid.</param>
/// <param name="FailedAt">When delivery failed for good.</param>
/// <param name="PaidTon">TON received for this order.</param>
/// <param name="PaidNanoton"><c>paid_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="PaymentTxHash">Transaction that completed the payment.</param>
/// <param name="ClientReference">Your reference.</param>
/// <param name="FailureReason">Why delivery failed.</param>
/// <param name="RefundedTon">TON refunded to your balance (a failed order's price, or a short payment when the order expired or was cancelled).</param>
/// <param name="RefundedNanoton"><c>refunded_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="LatePaidTon">TON sent for this order after it could no longer be paid (expired, cancelled, already paid), credited to your balance.</param>
/// <param name="LatePaidNanoton"><c>late_paid_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="SupplierReference">The supplier's reference for the delivery, once delivered.</param>
/// <param name="Tonramp">TonRamp payment links (for <c>payment_method = tonramp</c>).</param>
/// <param name="PaymentLink">
/// While a <c>ton_memo</c> or <c>tonramp</c> order waits for its payment: <c>ton://transfer/&lt;payment_address&gt;?amount=&lt;nanoTON still due&gt;&amp;text=&lt;memo&gt;</c>
/// (for a QR code or a tap in a wallet; <c>GET /orders/{id}/payment-qr</c> draws it); for a USDT order
/// <c>ton://transfer/&lt;payment_address&gt;?jetton=&lt;USDT master&gt;&amp;amount=&lt;USDT base units still due&gt;&amp;text=&lt;memo&gt;</c>. Null otherwise.
/// </param>
/// <param name="PaymentRequest">
/// The same transfer as a TON Connect <c>sendTransaction</c> request (the memo as a text-comment payload). Null when <c>payment_link</c> is,
/// and for USDT orders: a jetton transfer is a message to the payer's own jetton wallet, whose address only the payer's wallet knows.
/// </param>
/// <param name="PriceUsdt">USDT orders only (left out otherwise): the price in USDT, locked at creation (USD price × the USDT/USD rate, rounded up to a cent).</param>
/// <param name="PriceUsdtUnits">USDT orders only: <c>price_usdt</c> in base units (1 USDT = 10⁶), exact, as a string: what a wallet sends.</param>
/// <param name="PaidUsdt">USDT orders only: USDT received for this order.</param>
/// <param name="PaidUsdtUnits">USDT orders only: <c>paid_usdt</c> in base units.</param>
/// <param name="RefundedUsdt">USDT orders only: USDT refunded to your USDT balance.</param>
/// <param name="RefundedUsdtUnits">USDT orders only: <c>refunded_usdt</c> in base units.</param>
/// <param name="LatePaidUsdt">USDT orders only: USDT sent after the order could no longer be paid, credited to your USDT balance.</param>
/// <param name="LatePaidUsdtUnits">USDT orders only: <c>late_paid_usdt</c> in base units.</param>
public sealed record OrderResponse(
    long Id,
    bool Livemode,
    [property: TextValues(typeof(OrderStatus))] string Status,
    [property: TextValues(typeof(OrderType))] string OrderType,
    int? StarsAmount,
    int? PremiumMonths,
    string RecipientUsername,
    [property: TextValues(typeof(RecipientCheckOutcome))] string RecipientCheck,
    decimal PriceTon,
    Nanoton PriceNanoton,
    decimal PriceUsd,
    decimal FeePercent,
    decimal TonUsdRate,
    [property: TextValues(typeof(PaymentMethod))] string PaymentMethod,
    [property: TextValues(PaymentCurrencies.Ton, PaymentCurrencies.Usdt)] string PaymentCurrency,
    string? PaymentAddress,
    string PaymentMemo,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PaidAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? CancelledAt,
    DateTimeOffset? ExpiredAt,
    DateTimeOffset? FailedAt,
    decimal PaidTon,
    Nanoton PaidNanoton,
    string? PaymentTxHash,
    string? ClientReference,
    string? FailureReason,
    decimal RefundedTon,
    Nanoton RefundedNanoton,
    decimal LatePaidTon,
    Nanoton LatePaidNanoton,
    string? SupplierReference,
    TonrampLinks? Tonramp,
    string? PaymentLink,
    PaymentRequest? PaymentRequest,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? PriceUsdt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? PriceUsdtUnits = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? PaidUsdt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? PaidUsdtUnits = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? RefundedUsdt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? RefundedUsdtUnits = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? LatePaidUsdt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? LatePaidUsdtUnits = null);

/// <param name="Payload">TRP payload.</param>
/// <param name="DeepLink">Web link.</param>
/// <param name="TelegramLink">Telegram mini-app link.</param>
/// <param name="Status">TonRamp's status of the payment.</param>
public sealed record TonrampLinks(string Payload, string DeepLink, string TelegramLink, string Status);

public static class OrderMapping
{
    public static OrderResponse ToResponse(this Order order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var instruction = PaymentInstructionFor(order);
        var response = new OrderResponse(
            order.Id,
            order.Livemode,
            EnumText<OrderStatus>.ToText(order.Status),
            EnumText<OrderType>.ToText(order.OrderType),
            order.StarsAmount,
            order.PremiumMonths,
            order.RecipientUsername,
            order.RecipientCheck,
            TonAmount.FromNano(order.TonQuoteNanoton ?? order.PriceNanoton),
            new Nanoton(order.TonQuoteNanoton ?? order.PriceNanoton),
            TonAmount.Trim(order.PriceUsd),
            TonAmount.Trim(order.FeePercent),
            TonAmount.Trim(order.TonUsdRate),
            EnumText<PaymentMethod>.ToText(order.PaymentMethod),
            order.PaymentCurrency,
            order.PaymentAddress,
            order.PaymentMemo,
            order.ExpiresAt,
            order.CreatedAt,
            order.PaidAt,
            order.CompletedAt,
            order.CancelledAt,
            order.ExpiredAt,
            order.FailedAt,
            TonAmount.FromNano(order.PaidNanoton),
            new Nanoton(order.PaidNanoton),
            order.PaymentTxHash,
            order.ClientReference,
            order.FailureReason,
            TonAmount.FromNano(order.RefundedNanoton),
            new Nanoton(order.RefundedNanoton),
            TonAmount.FromNano(order.LatePaidNanoton),
            new Nanoton(order.LatePaidNanoton),
            order.SupplierReference,
            order.TonrampPayload is null
                ? null
                : new TonrampLinks(order.TonrampPayload, order.TonrampDeepLink ?? "", order.TonrampTelegramLink ?? "", order.TonrampStatus ?? "pending"),
            instruction?.Link,
            instruction?.Request);
        return order.PaymentCurrency == PaymentCurrencies.Usdt ? WithUsdtAmounts(response, order) : response;
    }

    /// <summary>A USDT order's amounts go to the <c>*_usdt</c> fields; its <c>*_ton</c> amounts (which count TON only) are 0.</summary>
    private static OrderResponse WithUsdtAmounts(OrderResponse response, Order order) => response with
    {
        PaidTon = 0,
        PaidNanoton = default,
        RefundedTon = 0,
        RefundedNanoton = default,
        LatePaidTon = 0,
        LatePaidNanoton = default,
        PriceUsdt = new Amount<Usdt>(order.PriceNanoton).Coins,
        PriceUsdtUnits = new BaseUnits(order.PriceNanoton),
        PaidUsdt = new Amount<Usdt>(order.PaidNanoton).Coins,
        PaidUsdtUnits = new BaseUnits(order.PaidNanoton),
        RefundedUsdt = new Amount<Usdt>(order.RefundedNanoton).Coins,
        RefundedUsdtUnits = new BaseUnits(order.RefundedNanoton),
        LatePaidUsdt = new Amount<Usdt>(order.LatePaidNanoton).Coins,
        LatePaidUsdtUnits = new BaseUnits(order.LatePaidNanoton),
    };

    /// <summary>
    /// How to pay what is still due, while the order waits for a payment in TON to its address
    /// (<c>ton_memo</c>, <c>tonramp</c>); null otherwise (balance orders, any other state, nothing due).
    /// </summary>
    public static PaymentInstruction? PaymentInstructionFor(Order order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var due = order.PriceNanoton - order.PaidNanoton;
        if (order is not { Status: OrderStatus.PendingPayment, PaymentMethod: PaymentMethod.TonMemo or PaymentMethod.Tonramp, PaymentAddress: { } address } || due <= 0 || !TonAddress.IsValid(address))
        {
            return null;
        }

        return order.PaymentJetton is { } jetton
            ? TonAddress.IsValid(jetton) ? PaymentInstruction.ForJetton(address, jetton, due, order.PaymentMemo) : null
            : PaymentInstruction.For(address, due, order.PaymentMemo, order.ExpiresAt);
    }
}

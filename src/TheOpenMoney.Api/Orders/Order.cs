using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Api.Orders;

public enum OrderStatus
{
    PendingPayment,
    Paid,
    Processing,
    Completed,
    Expired,
    Cancelled,
    Failed,
}

public enum PaymentMethod
{
    TonMemo,
    Balance,
    Tonramp,
}

/// <summary>Outcome of the recipient check made before the order was created.</summary>
public static class RecipientCheckOutcome
{
    public const string Eligible = "ELIGIBLE";
    public const string Unknown = "UNKNOWN";
}

/// <summary>
/// An order for Stars or Premium. Money is nanoTON (<c>long</c>) and USD (<c>decimal</c>). Written only by
/// <see cref="OrderLifecycle"/> and <c>order_receive_payment</c> (see <see cref="OrderMachine"/>), never
/// through the change tracker.
/// </summary>
public sealed class Order : IWrittenByStatementsOnly
{
    string IWrittenByStatementsOnly.WrittenBy => "OrderLifecycle and order_receive_payment; see OrderMachine";

    public long Id { get; set; }

    public long PartnerId { get; set; }

    /// <summary>False for a test-mode order (a test key's; simulated money, never the chain, the supplier or TonRamp).</summary>
    public bool Livemode { get; set; } = true;

    public OrderStatus Status { get; set; }

    public OrderType OrderType { get; set; }

    public int? StarsAmount { get; set; }

    public int? PremiumMonths { get; set; }

    public string RecipientUsername { get; set; } = "";

    public string RecipientCheck { get; set; } = RecipientCheckOutcome.Eligible;

    /// <summary>The price in base units of <see cref="PaymentCurrency"/> (nanoTON for TON, 10⁻⁶ for USDT): what is due.</summary>
    public long PriceNanoton { get; set; }

    /// <summary>A USDT order's price in nanoTON at the rate it was quoted with (what <c>price_ton</c> shows; never due); null for TON orders.</summary>
    public long? TonQuoteNanoton { get; set; }

    public decimal PriceUsd { get; set; }

    public decimal FeePercent { get; set; }

    public decimal TonUsdRate { get; set; }

    public string RateSource { get; set; } = "";

    public PaymentMethod PaymentMethod { get; set; }

    /// <summary><c>TON</c> or <c>USDT</c>: what every amount of the order counts (price, paid, refunded, late-paid).</summary>
    public string PaymentCurrency { get; set; } = "TON";

    /// <summary>The jetton master a USDT order is paid in (locked at creation); null for TON orders.</summary>
    public string? PaymentJetton { get; set; }

    public string? PaymentAddress { get; set; }

    public string PaymentMemo { get; set; } = "";

    public string? ClientReference { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? PaidAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public DateTimeOffset? CancelledAt { get; set; }

    public DateTimeOffset? ExpiredAt { get; set; }

    public DateTimeOffset? FailedAt { get; set; }

    public long PaidNanoton { get; set; }

    public string? PaymentTxHash { get; set; }

    public string? FailureReason { get; set; }

    public long RefundedNanoton { get; set; }

    /// <summary>TON paid for this order that was credited to the balance instead (arrived late).</summary>
    public long LatePaidNanoton { get; set; }

    public int DeliveryAttempts { get; set; }

    /// <summary>While <c>processing</c>: until when the claiming worker owns the order (then anyone may reclaim it); also the time of the next retry.</summary>
    public DateTimeOffset? DeliveryLeaseUntil { get; set; }

    public DateTimeOffset? ProcessingAt { get; set; }

    public string? SupplierReference { get; set; }

    public string? LastDeliveryError { get; set; }

    public string? TonrampPayload { get; set; }

    public string? TonrampDeepLink { get; set; }

    public string? TonrampTelegramLink { get; set; }

    public string? TonrampStatus { get; set; }

    public DateTimeOffset? TonrampCheckedAt { get; set; }
}

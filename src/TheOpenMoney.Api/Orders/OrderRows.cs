using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Api.Orders;

/// <summary>
/// An <c>orders</c> row read into an <see cref="Order"/> by hand, for the partner's reads (<see cref="OrderReads"/>):
/// one table of column and reader, so the select list and the mapping cannot disagree. Every column the EF model
/// maps is here, read the way EF reads it; <c>OrderRowsTests</c> holds both to the model and to EF's own reading of a
/// row with every column set, so a new column fails a test until it is added here.
/// </summary>
public static class OrderRows
{
    private static readonly (string Column, Action<Order, NpgsqlDataReader, int> Read)[] Map =
    [
        ("id", (o, r, i) => o.Id = r.GetInt64(i)),
        ("partner_id", (o, r, i) => o.PartnerId = r.GetInt64(i)),
        ("livemode", (o, r, i) => o.Livemode = r.GetBoolean(i)),
        ("status", (o, r, i) => o.Status = EnumText<OrderStatus>.Parse(r.GetString(i))),
        ("order_type", (o, r, i) => o.OrderType = EnumText<OrderType>.Parse(r.GetString(i))),
        ("stars_amount", (o, r, i) => o.StarsAmount = IntOrNull(r, i)),
        ("premium_months", (o, r, i) => o.PremiumMonths = IntOrNull(r, i)),
        ("recipient_username", (o, r, i) => o.RecipientUsername = r.GetString(i)),
        ("recipient_check", (o, r, i) => o.RecipientCheck = r.GetString(i)),
        ("price_nanoton", (o, r, i) => o.PriceNanoton = r.GetInt64(i)),
        ("price_usd", (o, r, i) => o.PriceUsd = r.GetDecimal(i)),
        ("fee_percent", (o, r, i) => o.FeePercent = r.GetDecimal(i)),
        ("ton_usd_rate", (o, r, i) => o.TonUsdRate = r.GetDecimal(i)),
        ("rate_source", (o, r, i) => o.RateSource = r.GetString(i)),
        ("payment_method", (o, r, i) => o.PaymentMethod = EnumText<PaymentMethod>.Parse(r.GetString(i))),
        ("payment_currency", (o, r, i) => o.PaymentCurrency = r.GetString(i)),
        ("payment_address", (o, r, i) => o.PaymentAddress = TextOrNull(r, i)),
        ("payment_memo", (o, r, i) => o.PaymentMemo = r.GetString(i)),
        ("client_reference", (o, r, i) => o.ClientReference = TextOrNull(r, i)),
        ("expires_at", (o, r, i) => o.ExpiresAt = Time(r, i)),
        ("created_at", (o, r, i) => o.CreatedAt = Time(r, i)),
        ("updated_at", (o, r, i) => o.UpdatedAt = Time(r, i)),
        ("paid_at", (o, r, i) => o.PaidAt = TimeOrNull(r, i)),
        ("completed_at", (o, r, i) => o.CompletedAt = TimeOrNull(r, i)),
        ("cancelled_at", (o, r, i) => o.CancelledAt = TimeOrNull(r, i)),
        ("expired_at", (o, r, i) => o.ExpiredAt = TimeOrNull(r, i)),
        ("failed_at", (o, r, i) => o.FailedAt = TimeOrNull(r, i)),
        ("paid_nanoton", (o, r, i) => o.PaidNanoton = r.GetInt64(i)),
        ("payment_tx_hash", (o, r, i) => o.PaymentTxHash = TextOrNull(r, i)),
        ("failure_reason", (o, r, i) => o.FailureReason = TextOrNull(r, i)),
        ("refunded_nanoton", (o, r, i) => o.RefundedNanoton = r.GetInt64(i)),
        ("late_paid_nanoton", (o, r, i) => o.LatePaidNanoton = r.GetInt64(i)),
        ("ton_quote_nanoton", (o, r, i) => o.TonQuoteNanoton = r.IsDBNull(i) ? null : r.GetInt64(i)),
        ("payment_jetton", (o, r, i) => o.PaymentJetton = TextOrNull(r, i)),
        ("delivery_attempts", (o, r, i) => o.DeliveryAttempts = r.GetInt32(i)),
        ("delivery_lease_until", (o, r, i) => o.DeliveryLeaseUntil = TimeOrNull(r, i)),
        ("processing_at", (o, r, i) => o.ProcessingAt = TimeOrNull(r, i)),
        ("supplier_reference", (o, r, i) => o.SupplierReference = TextOrNull(r, i)),
        ("last_delivery_error", (o, r, i) => o.LastDeliveryError = TextOrNull(r, i)),
        ("tonramp_payload", (o, r, i) => o.TonrampPayload = TextOrNull(r, i)),
        ("tonramp_deep_link", (o, r, i) => o.TonrampDeepLink = TextOrNull(r, i)),
        ("tonramp_telegram_link", (o, r, i) => o.TonrampTelegramLink = TextOrNull(r, i)),
        ("tonramp_status", (o, r, i) => o.TonrampStatus = TextOrNull(r, i)),
        ("tonramp_checked_at", (o, r, i) => o.TonrampCheckedAt = TimeOrNull(r, i)),
    ];

    /// <summary>The columns <see cref="Read"/> expects first in a row, in order (unqualified).</summary>
    public static IReadOnlyList<string> ColumnNames { get; } = [.. Map.Select(m => m.Column)];

    /// <summary>The select list of <see cref="ColumnNames"/>.</summary>
    public static string Columns { get; } = string.Join(", ", ColumnNames);

    /// <summary>The order in the current row, whose first columns are <see cref="Columns"/>.</summary>
    public static Order Read(NpgsqlDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var order = new Order();
        for (var i = 0; i < Map.Length; i++)
        {
            Map[i].Read(order, reader, i);
        }

        return order;
    }

    private static string? TextOrNull(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static int? IntOrNull(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private static DateTimeOffset Time(NpgsqlDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static DateTimeOffset? TimeOrNull(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Time(reader, ordinal);
}

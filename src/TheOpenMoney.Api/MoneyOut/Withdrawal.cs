namespace TheOpenMoney.Api.MoneyOut;

public enum WithdrawalKind
{
    /// <summary>An unmatched deposit sent back to its sender.</summary>
    Refund,

    /// <summary>A partner's prepaid balance sent to an address the partner named.</summary>
    Partner,
}

public enum WithdrawalStatus
{
    AwaitingConfirmation,
    Pending,
    Sent,
    Completed,
    Failed,
    Cancelled,
    Expired,
}

/// <summary>
/// A row of <c>withdrawals</c> as read (written only by <see cref="WithdrawalLifecycle"/>). <see cref="AmountNanoton"/>
/// and <see cref="FeeNanoton"/> count base units of <see cref="Currency"/> (nanoTON for TON, 10⁻⁶ for USDT).
/// </summary>
public sealed record Withdrawal(
    long Id,
    WithdrawalKind Kind,
    long? PartnerId,
    long? DepositId,
    WithdrawalStatus Status,
    long AmountNanoton,
    long FeeNanoton,
    string Destination,
    string? Comment,
    string QueryId,
    long? ProcessorId,
    bool ProcessorIdUnknown,
    string? TxHash,
    string? FailureReason,
    DateTimeOffset? ConfirmBy,
    long? TelegramChatId,
    long? TelegramMessageId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset? SentAt,
    DateTimeOffset? CompletedAt,
    string Currency = PaymentCurrencies.Ton)
{
    /// <summary>The columns <see cref="Read"/> reads, in order.</summary>
    public const string Columns =
        "id, kind, partner_id, deposit_id, status, amount_nanoton, fee_nanoton, destination, comment, query_id, processor_id, processor_id_unknown, " +
        "tx_hash, failure_reason, confirm_by, telegram_chat_id, telegram_message_id, created_at, confirmed_at, sent_at, completed_at, currency";

    public static Withdrawal Read(System.Data.Common.DbDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new Withdrawal(
            reader.GetInt64(0),
            EnumText<WithdrawalKind>.Parse(reader.GetString(1)),
            reader.Get<long?>(2),
            reader.Get<long?>(3),
            EnumText<WithdrawalStatus>.Parse(reader.GetString(4)),
            reader.GetInt64(5),
            reader.GetInt64(6),
            reader.GetString(7),
            reader.Get<string?>(8),
            reader.GetString(9),
            reader.Get<long?>(10),
            reader.GetBoolean(11),
            reader.Get<string?>(12),
            reader.Get<string?>(13),
            reader.Get<DateTimeOffset?>(14),
            reader.Get<long?>(15),
            reader.Get<long?>(16),
            reader.GetFieldValue<DateTimeOffset>(17),
            reader.Get<DateTimeOffset?>(18),
            reader.Get<DateTimeOffset?>(19),
            reader.Get<DateTimeOffset?>(20),
            reader.GetString(21));
    }

    /// <summary>The amount sent, as people read it (<c>1.5 USDT</c>).</summary>
    public string AmountText => Text(AmountNanoton);

    /// <summary>The fee kept, as people read it.</summary>
    public string FeeText => Text(FeeNanoton);

    private string Text(long units) => string.Create(CultureInfo.InvariantCulture, $"{PaymentCurrencies.Coins(Currency, units)} {Currency}");

    /// <summary>The query id the processor knows this withdrawal by (made from the row, so asking twice is one withdrawal).</summary>
    public static string QueryIdOf(WithdrawalKind kind, long id) =>
        string.Create(CultureInfo.InvariantCulture, $"{(kind == WithdrawalKind.Refund ? "refund" : "wd")}-{id}");
}

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>Refunds of unmatched deposits (section <c>Refunds</c>; the names are fixed by the contract).</summary>
public sealed class RefundOptions
{
    public const string Section = "Refunds";

    /// <summary>Send eligible unmatched deposits back automatically.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a deposit stays unmatched (an operator may still assign it) before it is refunded.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Kept from each refund: what the transfer costs.</summary>
    public decimal NetworkFeeTon { get; set; } = 0.01m;

    /// <summary>Deposits of this much or less are dust: kept, never refunded automatically.</summary>
    public decimal MinAmountTon { get; set; } = 0.05m;

    /// <summary>Kept from each USDT refund: a jetton transfer costs the hot wallet TON (gas and forward), charged here in USDT.</summary>
    public decimal NetworkFeeUsdt { get; set; } = 0.3m;

    /// <summary>USDT deposits of this much or less are dust: kept, never refunded automatically.</summary>
    public decimal MinAmountUsdt { get; set; } = 1m;

    /// <summary>A refund's fee and the dust line, in base units of <paramref name="currency"/>.</summary>
    public (long Fee, long Dust) InUnitsOf(string currency) => currency == PaymentCurrencies.Usdt
        ? (PaymentCurrencies.Units(currency, NetworkFeeUsdt), PaymentCurrencies.Units(currency, MinAmountUsdt))
        : (PaymentCurrencies.Units(PaymentCurrencies.Ton, NetworkFeeTon), PaymentCurrencies.Units(PaymentCurrencies.Ton, MinAmountTon));
}

/// <summary>Partner withdrawals of the prepaid balance (section <c>Withdrawals</c>).</summary>
public sealed class WithdrawalOptions
{
    public const string Section = "Withdrawals";

    /// <summary>Held with the amount and kept: what the transfer costs.</summary>
    public decimal FeeTon { get; set; } = 0.01m;

    public decimal MinAmountTon { get; set; } = 0.1m;

    /// <summary>At most this much per partner per rolling 24 hours (withdrawals not reversed).</summary>
    public decimal DailyLimitTon { get; set; } = 500m;

    /// <summary>Held with a USDT withdrawal and kept: a jetton transfer costs the hot wallet TON, charged here in USDT.</summary>
    public decimal FeeUsdt { get; set; } = 0.3m;

    public decimal MinAmountUsdt { get; set; } = 1m;

    /// <summary>At most this much USDT per partner per rolling 24 hours (withdrawals not reversed).</summary>
    public decimal DailyLimitUsdt { get; set; } = 2_000m;

    /// <summary>A withdrawal's fee, minimum and daily limit, in base units of <paramref name="currency"/>.</summary>
    public (long Fee, long Minimum, long DailyLimit) InUnitsOf(string currency) => currency == PaymentCurrencies.Usdt
        ? (PaymentCurrencies.Units(currency, FeeUsdt), PaymentCurrencies.Units(currency, MinAmountUsdt), PaymentCurrencies.Units(currency, DailyLimitUsdt))
        : (PaymentCurrencies.Units(PaymentCurrencies.Ton, FeeTon), PaymentCurrencies.Units(PaymentCurrencies.Ton, MinAmountTon), PaymentCurrencies.Units(PaymentCurrencies.Ton, DailyLimitTon));

    /// <summary>How long the partner has to press Confirm in Telegram.</summary>
    public TimeSpan ConfirmWithin { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the engine looks for work (sending, asking the processor, expiring, queueing refunds).</summary>
    public TimeSpan EngineInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after sending the processor is asked again how a withdrawal went.</summary>
    public TimeSpan StatusCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Withdrawals sent or checked per engine run.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// Processor ids read per run while looking for a withdrawal the processor already had when asked again
    /// (its first answer lost): the newest first, from past the highest id we know, then back from it.
    /// </summary>
    public int LostSearchLimit { get; set; } = 1000;
}

/// <summary>The closed book (section <c>Reconciliation</c>).</summary>
public sealed class ReconciliationOptions
{
    public const string Section = "Reconciliation";

    /// <summary>How often the books are compared with the processor's (one instance).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Balance requests for our deposit addresses in flight at once.</summary>
    public int AddressConcurrency { get; set; } = 8;
}

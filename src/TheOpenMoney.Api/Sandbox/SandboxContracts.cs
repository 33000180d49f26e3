using FluentValidation;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Sandbox;

/// <summary>A simulated payment to a test order.</summary>
/// <param name="AmountTon">TON to send (at most 9 fraction digits, up to 100,000). Default: what is still due (the price when nothing is due).</param>
/// <param name="Memo">The transfer comment, as a payer would type it (≤ 128 characters; an empty one is no comment). Default: the order's memo. Another test order's memo is refused.</param>
/// <param name="Late">Date the transfer one second after <c>expires_at</c>, as a payment that arrives too late.</param>
/// <param name="Currency">What the payer sends: <c>TON</c> or <c>USDT</c> (default: the order's <c>payment_currency</c>). Sending the other one tries a payment in the wrong currency: it is credited to the test balance in that currency, never to the order.</param>
/// <param name="AmountUsdt">USDT to send when paying in USDT (at most 6 fraction digits, up to 100,000). Default: what is still due.</param>
public sealed record SandboxPaymentRequest(
    decimal? AmountTon,
    string? Memo,
    bool? Late,
    [property: TextValues(PaymentCurrencies.Ton, PaymentCurrencies.Usdt)] string? Currency = null,
    decimal? AmountUsdt = null);

/// <summary>A simulated top-up of the test balance: exactly one of <c>amount_ton</c> (the TON balance) and <c>amount_usdt</c> (the USDT balance).</summary>
/// <param name="AmountTon">TON to credit (more than 0, at most 1,000 per call, at most 9 fraction digits).</param>
/// <param name="AmountUsdt">USDT to credit (more than 0, at most 1,000 per call, at most 6 fraction digits).</param>
public sealed record SandboxTopupRequest(decimal? AmountTon, decimal? AmountUsdt = null);

/// <summary>What a simulated payment did: its made-up transaction, how the same matching as live deposits applied it, and the order now.</summary>
/// <param name="TxHash">The simulated transaction's hash (<c>sandbox-…</c>).</param>
/// <param name="AmountTon">TON sent.</param>
/// <param name="AmountNanoton"><c>amount_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="AppliedAs">How the deposit was applied: <c>order_payment</c>, <c>partial_payment</c>, <c>overpayment</c>, <c>late_payment</c>, or <c>unmatched</c> (the memo matched no test order: nobody is credited, as in live mode).</param>
/// <param name="ChainTime">The transfer's simulated chain time.</param>
/// <param name="Order">The order after the payment.</param>
/// <param name="AmountUsdt">USDT payments only (left out otherwise; <c>amount_ton</c> is then 0): USDT sent.</param>
/// <param name="AmountUsdtUnits">USDT payments only: <c>amount_usdt</c> in base units, exact, as a string.</param>
public sealed record SandboxPaymentResponse(
    string TxHash,
    decimal AmountTon,
    Nanoton AmountNanoton,
    [property: TextValues("order_payment", "partial_payment", "overpayment", "late_payment", "unmatched")] string AppliedAs,
    DateTimeOffset ChainTime,
    OrderResponse Order,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? AmountUsdt = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? AmountUsdtUnits = null);

/// <summary>What a simulated top-up did.</summary>
/// <param name="TxHash">The simulated transaction's hash (<c>sandbox-…</c>).</param>
/// <param name="AmountTon">TON credited.</param>
/// <param name="AmountNanoton"><c>amount_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="AppliedAs"><c>topup</c>.</param>
/// <param name="BalanceTon">The test balance after it.</param>
/// <param name="BalanceNanoton"><c>balance_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="AmountUsdt">USDT top-ups only (left out otherwise; the TON amounts are then 0 and <c>balance_ton</c> is the TON balance): USDT credited.</param>
/// <param name="AmountUsdtUnits">USDT top-ups only: <c>amount_usdt</c> in base units.</param>
/// <param name="BalanceUsdt">USDT top-ups only: the test USDT balance after it.</param>
/// <param name="BalanceUsdtUnits">USDT top-ups only: <c>balance_usdt</c> in base units.</param>
public sealed record SandboxTopupResponse(
    string TxHash,
    decimal AmountTon,
    Nanoton AmountNanoton,
    [property: TextValues("topup")] string AppliedAs,
    decimal BalanceTon,
    Nanoton BalanceNanoton,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? AmountUsdt = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? AmountUsdtUnits = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? BalanceUsdt = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? BalanceUsdtUnits = null);

internal sealed class SandboxPaymentRequestValidator : AbstractValidator<SandboxPaymentRequest>
{
    public const decimal MaxPaymentTon = 100_000m;

    public SandboxPaymentRequestValidator()
    {
        RuleFor(r => r.AmountTon).Cascade(CascadeMode.Stop)
            .GreaterThan(0).WithMessage("amount_ton must be more than 0")
            .LessThanOrEqualTo(MaxPaymentTon).WithMessage($"amount_ton must be at most {MaxPaymentTon}")
            .Must(a => a is null || decimal.Round(a.Value, 9) == a).WithMessage("amount_ton must have at most 9 fraction digits");
        RuleFor(r => r.Memo).MaximumLength(128).WithMessage("memo must be at most 128 characters");
        RuleFor(r => r.Currency).Must(c => c is null || PaymentCurrencies.IsKnown(c))
            .WithMessage($"currency must be one of {string.Join(", ", PaymentCurrencies.All)}");
        RuleFor(r => r.AmountUsdt).Cascade(CascadeMode.Stop)
            .GreaterThan(0).WithMessage("amount_usdt must be more than 0")
            .LessThanOrEqualTo(MaxPaymentTon).WithMessage($"amount_usdt must be at most {MaxPaymentTon}")
            .Must(a => a is null || decimal.Round(a.Value, 6) == a).WithMessage("amount_usdt must have at most 6 fraction digits")
            .Must((r, a) => a is null || r.AmountTon is null).WithMessage("send amount_ton or amount_usdt, not both");
    }
}

internal sealed class SandboxTopupRequestValidator : AbstractValidator<SandboxTopupRequest>
{
    public const decimal MaxTopupTon = 1_000m;

    public SandboxTopupRequestValidator()
    {
        RuleFor(r => r.AmountTon).Cascade(CascadeMode.Stop)
            .NotNull().When(r => r.AmountUsdt is null).WithMessage("amount_ton is required")
            .GreaterThan(0).WithMessage("amount_ton must be more than 0")
            .LessThanOrEqualTo(MaxTopupTon).WithMessage($"amount_ton must be at most {MaxTopupTon} per call")
            .Must(a => a is null || decimal.Round(a.Value, 9) == a).WithMessage("amount_ton must have at most 9 fraction digits");
        RuleFor(r => r.AmountUsdt).Cascade(CascadeMode.Stop)
            .GreaterThan(0).WithMessage("amount_usdt must be more than 0")
            .LessThanOrEqualTo(MaxTopupTon).WithMessage($"amount_usdt must be at most {MaxTopupTon} per call")
            .Must(a => a is null || decimal.Round(a.Value, 6) == a).WithMessage("amount_usdt must have at most 6 fraction digits")
            .Must((r, a) => a is null || r.AmountTon is null).WithMessage("send amount_ton or amount_usdt, not both");
    }
}

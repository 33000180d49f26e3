using FluentValidation;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Sandbox;

/// <summary>A simulated payment to a test order.</summary>
/// <param name="AmountTon">TON to send (at most 9 fraction digits, up to 100,000). Default: what is still due (the price when nothing is due).</param>
/// <param name="Memo">The transfer comment, as a payer would type it (≤ 128 characters; an empty one is no comment). Default: the order's memo. Another test order's memo is refused.</param>
/// <param name="Late">Date the transfer one second after <c>expires_at</c>, as a payment that arrives too late.</param>
public sealed record SandboxPaymentRequest(decimal? AmountTon, string? Memo, bool? Late);

/// <summary>A simulated top-up of the test balance.</summary>
/// <param name="AmountTon">TON to credit (more than 0, at most 1,000 per call, at most 9 fraction digits).</param>
public sealed record SandboxTopupRequest([property: ContractRequired] decimal? AmountTon);

/// <summary>What a simulated payment did: its made-up transaction, how the same matching as live deposits applied it, and the order now.</summary>
/// <param name="TxHash">The simulated transaction's hash (<c>sandbox-…</c>).</param>
/// <param name="AmountTon">TON sent.</param>
/// <param name="AmountNanoton"><c>amount_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="AppliedAs">How the deposit was applied: <c>order_payment</c>, <c>partial_payment</c>, <c>overpayment</c>, <c>late_payment</c>, or <c>unmatched</c> (the memo matched no test order: nobody is credited, as in live mode).</param>
/// <param name="ChainTime">The transfer's simulated chain time.</param>
/// <param name="Order">The order after the payment.</param>
public sealed record SandboxPaymentResponse(
    string TxHash,
    decimal AmountTon,
    Nanoton AmountNanoton,
    [property: TextValues("order_payment", "partial_payment", "overpayment", "late_payment", "unmatched")] string AppliedAs,
    DateTimeOffset ChainTime,
    OrderResponse Order);

/// <summary>What a simulated top-up did.</summary>
/// <param name="TxHash">The simulated transaction's hash (<c>sandbox-…</c>).</param>
/// <param name="AmountTon">TON credited.</param>
/// <param name="AmountNanoton"><c>amount_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="AppliedAs"><c>topup</c>.</param>
/// <param name="BalanceTon">The test balance after it.</param>
/// <param name="BalanceNanoton"><c>balance_ton</c> in nanoTON, exact, as a string.</param>
public sealed record SandboxTopupResponse(
    string TxHash,
    decimal AmountTon,
    Nanoton AmountNanoton,
    [property: TextValues("topup")] string AppliedAs,
    decimal BalanceTon,
    Nanoton BalanceNanoton);

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
    }
}

internal sealed class SandboxTopupRequestValidator : AbstractValidator<SandboxTopupRequest>
{
    public const decimal MaxTopupTon = 1_000m;

    public SandboxTopupRequestValidator()
    {
        RuleFor(r => r.AmountTon).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("amount_ton is required")
            .GreaterThan(0).WithMessage("amount_ton must be more than 0")
            .LessThanOrEqualTo(MaxTopupTon).WithMessage($"amount_ton must be at most {MaxTopupTon} per call")
            .Must(a => decimal.Round(a!.Value, 9) == a).WithMessage("amount_ton must have at most 9 fraction digits");
    }
}

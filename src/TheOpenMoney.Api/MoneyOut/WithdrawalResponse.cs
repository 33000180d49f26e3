using FluentValidation;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>Withdraw part of your prepaid balance to a TON address.</summary>
/// <param name="AmountTon">TON to send (at least <c>Withdrawals:MinAmountTon</c>, 0.1; at most 9 fraction digits). The fee is held on top of it.</param>
/// <param name="Destination">A user-friendly TON address (<c>UQ…</c>/<c>EQ…</c>) with a valid checksum.</param>
public sealed record CreateWithdrawalRequest([property: ContractRequired] decimal? AmountTon, [property: ContractRequired] string? Destination);

/// <summary>
/// A withdrawal of your balance. TON amounts are decimals with at most 9 fraction digits, each with its exact
/// twin in nanoTON as a string.
/// </summary>
/// <param name="Id">Withdrawal id.</param>
/// <param name="Status"><c>awaiting_confirmation</c> (press Confirm in the bot), <c>pending</c>, <c>sent</c>, <c>completed</c>, <c>failed</c>, <c>cancelled</c> or <c>expired</c>.</param>
/// <param name="AmountTon">What is sent to the destination.</param>
/// <param name="AmountNanoton"><c>amount_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="FeeTon">Held with the amount and kept (the network's cost).</param>
/// <param name="FeeNanoton"><c>fee_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="Destination">Where the TON goes.</param>
/// <param name="TxHash">The transaction that sent it, once completed.</param>
/// <param name="FailureReason">Why it did not go out (failed, cancelled, expired).</param>
/// <param name="ConfirmBy">Press Confirm in the bot before this instant, or it expires and the hold is given back.</param>
/// <param name="CreatedAt">When you asked.</param>
/// <param name="ConfirmedAt">When Confirm was pressed.</param>
/// <param name="CompletedAt">When the processor sent it.</param>
public sealed record WithdrawalResponse(
    long Id,
    [property: TextValues(typeof(WithdrawalStatus))] string Status,
    decimal AmountTon,
    Nanoton AmountNanoton,
    decimal FeeTon,
    Nanoton FeeNanoton,
    string Destination,
    string? TxHash,
    string? FailureReason,
    DateTimeOffset? ConfirmBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset? CompletedAt)
{
    public static WithdrawalResponse From(Withdrawal withdrawal)
    {
        ArgumentNullException.ThrowIfNull(withdrawal);
        return new(
            withdrawal.Id,
            WithdrawalMachine.Text(withdrawal.Status),
            TonAmount.FromNano(withdrawal.AmountNanoton),
            new Nanoton(withdrawal.AmountNanoton),
            TonAmount.FromNano(withdrawal.FeeNanoton),
            new Nanoton(withdrawal.FeeNanoton),
            withdrawal.Destination,
            withdrawal.TxHash,
            withdrawal.FailureReason,
            withdrawal.ConfirmBy,
            withdrawal.CreatedAt,
            withdrawal.ConfirmedAt,
            withdrawal.CompletedAt);
    }
}

internal sealed class CreateWithdrawalRequestValidator : AbstractValidator<CreateWithdrawalRequest>
{
    public CreateWithdrawalRequestValidator(IOptions<WithdrawalOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var minimum = options.Value.MinAmountTon;
        RuleFor(r => r.AmountTon).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("amount_ton is required")
            .GreaterThanOrEqualTo(minimum).WithMessage($"amount_ton must be at least {minimum}")
            .LessThanOrEqualTo(TonAmount.FromNano(long.MaxValue / 2)).WithMessage("amount_ton is too large")
            .Must(a => decimal.Round(a!.Value, 9) == a).WithMessage("amount_ton must have at most 9 fraction digits");
        RuleFor(r => r.Destination).NotEmpty().WithMessage("destination is required")
            .MaximumLength(64).WithMessage("destination must be a user-friendly TON address")
            .Must(TonAddress.IsValid).WithMessage("destination must be a user-friendly TON address with a valid checksum");
    }
}

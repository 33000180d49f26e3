using FluentValidation;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>Withdraw part of your prepaid balance to a TON address: exactly one of <c>amount_ton</c> (from the TON balance) and <c>amount_usdt</c> (from the USDT balance, sent as USDT).</summary>
/// <param name="AmountTon">TON to send (at least <c>Withdrawals:MinAmountTon</c>, 0.1; at most 9 fraction digits). The fee is held on top of it.</param>
/// <param name="Destination">A user-friendly TON address (<c>UQ…</c>/<c>EQ…</c>) with a valid checksum (for USDT: the owner's address; the processor sends to its jetton wallet).</param>
/// <param name="AmountUsdt">USDT to send from your USDT balance (at least <c>Withdrawals:MinAmountUsdt</c>, 1; at most 6 fraction digits). The fee (<c>Withdrawals:FeeUsdt</c>, 0.3 USDT) is held on top of it.</param>
public sealed record CreateWithdrawalRequest(decimal? AmountTon, [property: ContractRequired] string? Destination, decimal? AmountUsdt = null);

/// <summary>
/// A withdrawal of your balance. TON amounts are decimals with at most 9 fraction digits, each with its exact
/// twin in nanoTON as a string. A USDT withdrawal (<c>currency</c>: <c>USDT</c>) has its amounts in
/// <c>amount_usdt</c>/<c>fee_usdt</c> (each with its exact twin in 10⁻⁶ units), and 0 in the TON ones.
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
/// <param name="Currency">USDT withdrawals only (left out on TON ones, whose answer is as it always was): <c>USDT</c>, the balance it is taken from and what is sent.</param>
/// <param name="AmountUsdt">USDT withdrawals only (left out otherwise): what is sent.</param>
/// <param name="AmountUsdtUnits">USDT withdrawals only: <c>amount_usdt</c> in base units, exact, as a string.</param>
/// <param name="FeeUsdt">USDT withdrawals only: held with the amount and kept.</param>
/// <param name="FeeUsdtUnits">USDT withdrawals only: <c>fee_usdt</c> in base units, exact, as a string.</param>
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
    DateTimeOffset? CompletedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent, TextValues(PaymentCurrencies.Usdt)] string? Currency = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? AmountUsdt = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? AmountUsdtUnits = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? FeeUsdt = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? FeeUsdtUnits = null)
{
    public static WithdrawalResponse From(Withdrawal withdrawal)
    {
        ArgumentNullException.ThrowIfNull(withdrawal);
        var ton = withdrawal.Currency == PaymentCurrencies.Ton;
        return new(
            withdrawal.Id,
            WithdrawalMachine.Text(withdrawal.Status),
            ton ? TonAmount.FromNano(withdrawal.AmountNanoton) : 0m,
            new Nanoton(ton ? withdrawal.AmountNanoton : 0),
            ton ? TonAmount.FromNano(withdrawal.FeeNanoton) : 0m,
            new Nanoton(ton ? withdrawal.FeeNanoton : 0),
            withdrawal.Destination,
            withdrawal.TxHash,
            withdrawal.FailureReason,
            withdrawal.ConfirmBy,
            withdrawal.CreatedAt,
            withdrawal.ConfirmedAt,
            withdrawal.CompletedAt,
            ton ? null : withdrawal.Currency,
            ton ? null : PaymentCurrencies.Coins(withdrawal.Currency, withdrawal.AmountNanoton),
            ton ? null : new BaseUnits(withdrawal.AmountNanoton),
            ton ? null : PaymentCurrencies.Coins(withdrawal.Currency, withdrawal.FeeNanoton),
            ton ? null : new BaseUnits(withdrawal.FeeNanoton));
    }
}

internal sealed class CreateWithdrawalRequestValidator : AbstractValidator<CreateWithdrawalRequest>
{
    public CreateWithdrawalRequestValidator(IOptions<WithdrawalOptions> options, IOptions<UsdtOptions> usdt)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(usdt);
        var minimum = options.Value.MinAmountTon;
        RuleFor(r => r.AmountTon).Cascade(CascadeMode.Stop)
            .NotNull().When(r => r.AmountUsdt is null).WithMessage("amount_ton is required")
            .GreaterThanOrEqualTo(minimum).WithMessage($"amount_ton must be at least {minimum}")
            .LessThanOrEqualTo(TonAmount.FromNano(long.MaxValue / 2)).WithMessage("amount_ton is too large")
            .Must(a => a is null || decimal.Round(a.Value, 9) == a).WithMessage("amount_ton must have at most 9 fraction digits");
        var minimumUsdt = options.Value.MinAmountUsdt;
        RuleFor(r => r.AmountUsdt).Cascade(CascadeMode.Stop)
            .Must(a => a is null || usdt.Value.Enabled).WithMessage("USDT is not offered on this server")
            .GreaterThanOrEqualTo(minimumUsdt).WithMessage($"amount_usdt must be at least {minimumUsdt}")
            .LessThanOrEqualTo(new Amount<Usdt>(long.MaxValue / 2).Coins).WithMessage("amount_usdt is too large")
            .Must(a => a is null || decimal.Round(a.Value, 6) == a).WithMessage("amount_usdt must have at most 6 fraction digits")
            .Must((r, a) => a is null || r.AmountTon is null).WithMessage("send amount_ton or amount_usdt, not both");
        RuleFor(r => r.Destination).NotEmpty().WithMessage("destination is required")
            .MaximumLength(64).WithMessage("destination must be a user-friendly TON address")
            .Must(TonAddress.IsValid).WithMessage("destination must be a user-friendly TON address with a valid checksum");
    }
}

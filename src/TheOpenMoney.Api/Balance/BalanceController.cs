using System.Text.Json.Serialization;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Auth;
using TheOpenMoney.Api.Infrastructure.Paging;

namespace TheOpenMoney.Api.Balance;

/// <summary>The prepaid balance and its ledger.</summary>
[ApiController]
[Route("api/v1/balance")]
[Tags("Balance")]
[Produces("application/json")]
public sealed class BalanceController(AppDbContext db, BalanceLedger ledger, ForMode<ITopupAddress> addresses, IOptions<UsdtOptions> usdt) : ControllerBase
{
    /// <summary>Partner balance and top-up address.</summary>
    /// <remarks>
    /// TON sent to <c>topup_address</c> (any comment) is credited to the TON balance. Balances are per currency:
    /// <c>balances</c> lists each (TON, and USDT where offered) with its own top-up address; USDT sent to the USDT one
    /// is credited to the USDT balance. Money never moves between currencies.
    /// </remarks>
    [HttpGet(Name = "getBalance")]
    public async Task<ActionResult<ApiResponse<BalanceResponse>>> Get(CancellationToken cancellationToken)
    {
        var partnerId = User.GetPartnerId();
        var port = addresses.Get(User.IsLivemode());
        var balances = new List<CurrencyBalance>(2);
        foreach (var currency in usdt.Value.Enabled ? PaymentCurrencies.All : [PaymentCurrencies.Ton])
        {
            var units = await ledger.GetBalanceAsync(partnerId, currency, cancellationToken);
            var address = await port.GetTopupAddressAsync(partnerId, currency, cancellationToken);
            balances.Add(new CurrencyBalance(currency, PaymentCurrencies.Coins(currency, units), new BaseUnits(units), address));
        }

        var ton = balances[0];
        return Ok(ApiResponse.Of(new BalanceResponse(ton.Amount, new Nanoton(ton.AmountUnits.Value), PaymentCurrencies.Ton, ton.TopupAddress, balances)));
    }

    /// <summary>Balance transactions history.</summary>
    /// <remarks>Newest first; optional <c>type</c> filter.</remarks>
    [HttpGet("transactions", Name = "listBalanceTransactions")]
    public async Task<ActionResult<ApiResponse<Page<LedgerEntryResponse>>>> Transactions([FromQuery] LedgerQuery query, CancellationToken cancellationToken)
    {
        var partnerId = User.GetPartnerId();
        var rows = db.Ledger.AsNoTracking().Where(e => e.PartnerId == partnerId);
        if (EnumText<LedgerEntryType>.TryParse(query.Type, out var type))
        {
            rows = rows.Where(e => e.Type == type);
        }

        if (query.Currency is { } currency)
        {
            rows = rows.Where(e => e.Currency == currency);
        }

        var total = await rows.CountAsync(cancellationToken);
        var items = await rows.OrderByDescending(e => e.Id).Skip(query.RowsToSkip()).Take(query.PageSize()).ToListAsync(cancellationToken);
        return Ok(ApiResponse.Of(new Page<LedgerEntryResponse>(items.Select(LedgerEntryResponse.From).ToList(), total, query.PageSize(), query.RowsToSkip())));
    }
}

public sealed class LedgerQuery : PageQuery
{
    /// <summary>Only rows of this type: topup, order_payment, refund, overpayment, underpayment, late_payment, adjustment.</summary>
    [FromQuery(Name = "type")]
    [TextValues(typeof(LedgerEntryType))]
    public string? Type { get; set; }

    /// <summary>Only rows of this currency: TON or USDT.</summary>
    [FromQuery(Name = "currency")]
    [TextValues(PaymentCurrencies.Ton, PaymentCurrencies.Usdt, Name = "Currency")]
    public string? Currency { get; set; }
}

internal sealed class LedgerQueryValidator : AbstractValidator<LedgerQuery>
{
    public LedgerQueryValidator()
    {
        Include(new PageQueryValidator());
        RuleFor(q => q.Type).Must(t => t is null || EnumText<LedgerEntryType>.TryParse(t, out _))
            .WithMessage($"type must be one of {string.Join(", ", EnumText<LedgerEntryType>.All)}");
        RuleFor(q => q.Currency).Must(c => c is null || PaymentCurrencies.IsKnown(c))
            .WithMessage($"currency must be one of {string.Join(", ", PaymentCurrencies.All)}");
    }
}

/// <param name="BalanceTon">Balance in TON.</param>
/// <param name="BalanceNanoton"><c>balance_ton</c> in nanoTON (1 TON = 10⁹), exact, as a string.</param>
/// <param name="Currency"><c>TON</c>: the currency of <c>balance_ton</c> and <c>topup_address</c>.</param>
/// <param name="TopupAddress">Your own TON deposit address for top-ups (null until provisioned).</param>
/// <param name="Balances">Every balance, one per currency, TON first (then USDT where offered).</param>
public sealed record BalanceResponse(
    decimal BalanceTon, Nanoton BalanceNanoton, [property: TextValues("TON")] string Currency, string? TopupAddress, IReadOnlyList<CurrencyBalance> Balances);

/// <summary>A balance in one currency.</summary>
/// <param name="Currency"><c>TON</c> or <c>USDT</c>.</param>
/// <param name="Amount">The balance in that currency (TON: at most 9 fraction digits; USDT: 6).</param>
/// <param name="AmountUnits"><c>amount</c> in base units (10⁻⁹ TON, 10⁻⁶ USDT), exact, as a string.</param>
/// <param name="TopupAddress">Your deposit address for top-ups in that currency (null until provisioned).</param>
public sealed record CurrencyBalance(
    [property: TextValues(PaymentCurrencies.Ton, PaymentCurrencies.Usdt)] string Currency, decimal Amount, BaseUnits AmountUnits, string? TopupAddress);

/// <param name="Id">Ledger row id.</param>
/// <param name="Type">topup, order_payment, refund, overpayment, underpayment, late_payment or adjustment.</param>
/// <param name="AmountTon">Signed change in TON.</param>
/// <param name="AmountNanoton"><c>amount_ton</c> in nanoTON (1 TON = 10⁹), exact and signed, as a string.</param>
/// <param name="BalanceAfterTon">Balance after this row.</param>
/// <param name="BalanceAfterNanoton"><c>balance_after_ton</c> in nanoTON, exact, as a string.</param>
/// <param name="OrderId">Order concerned, when any.</param>
/// <param name="TxHash">Blockchain transaction, when any.</param>
/// <param name="Description">Human description.</param>
/// <param name="CreatedAt">When it was booked.</param>
/// <param name="Currency"><c>TON</c> or <c>USDT</c>: the balance the row changes. The <c>*_ton</c> amounts count TON only (0 on a USDT row).</param>
/// <param name="AmountUsdt">USDT rows only (left out otherwise): the signed change in USDT.</param>
/// <param name="AmountUsdtUnits">USDT rows only: <c>amount_usdt</c> in base units (1 USDT = 10⁶), exact and signed, as a string.</param>
/// <param name="BalanceAfterUsdt">USDT rows only: the USDT balance after this row.</param>
/// <param name="BalanceAfterUsdtUnits">USDT rows only: <c>balance_after_usdt</c> in base units.</param>
public sealed record LedgerEntryResponse(
    long Id,
    [property: TextValues(typeof(LedgerEntryType))] string Type,
    decimal AmountTon,
    Nanoton AmountNanoton,
    decimal BalanceAfterTon,
    Nanoton BalanceAfterNanoton,
    long? OrderId,
    string? TxHash,
    string? Description,
    DateTimeOffset CreatedAt,
    [property: TextValues(PaymentCurrencies.Ton, PaymentCurrencies.Usdt)] string Currency = PaymentCurrencies.Ton,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? AmountUsdt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? AmountUsdtUnits = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] decimal? BalanceAfterUsdt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), OmittedWhenAbsent] BaseUnits? BalanceAfterUsdtUnits = null)
{
    public static LedgerEntryResponse From(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Currency == PaymentCurrencies.Usdt)
        {
            return new(
                entry.Id,
                EnumText<LedgerEntryType>.ToText(entry.Type),
                0,
                default,
                0,
                default,
                entry.OrderId,
                entry.TxHash,
                entry.Description,
                entry.CreatedAt,
                entry.Currency,
                new Amount<Usdt>(entry.AmountNanoton).Coins,
                new BaseUnits(entry.AmountNanoton),
                new Amount<Usdt>(entry.BalanceAfterNanoton).Coins,
                new BaseUnits(entry.BalanceAfterNanoton));
        }

        return new(
            entry.Id,
            EnumText<LedgerEntryType>.ToText(entry.Type),
            TonAmount.FromNano(entry.AmountNanoton),
            new Nanoton(entry.AmountNanoton),
            TonAmount.FromNano(entry.BalanceAfterNanoton),
            new Nanoton(entry.BalanceAfterNanoton),
            entry.OrderId,
            entry.TxHash,
            entry.Description,
            entry.CreatedAt);
    }
}

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
public sealed class BalanceController(AppDbContext db, BalanceLedger ledger, ForMode<ITopupAddress> addresses) : ControllerBase
{
    /// <summary>Partner balance and top-up address.</summary>
    /// <remarks>TON sent to <c>topup_address</c> (any comment) is credited to the balance.</remarks>
    [HttpGet(Name = "getBalance")]
    public async Task<ActionResult<ApiResponse<BalanceResponse>>> Get(CancellationToken cancellationToken)
    {
        var partnerId = User.GetPartnerId();
        var balance = await ledger.GetBalanceAsync(partnerId, cancellationToken);
        var topup = await addresses.Get(User.IsLivemode()).GetTopupAddressAsync(partnerId, cancellationToken);
        return Ok(ApiResponse.Of(new BalanceResponse(TonAmount.FromNano(balance), new Nanoton(balance), "TON", topup)));
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
}

internal sealed class LedgerQueryValidator : AbstractValidator<LedgerQuery>
{
    public LedgerQueryValidator()
    {
        Include(new PageQueryValidator());
        RuleFor(q => q.Type).Must(t => t is null || EnumText<LedgerEntryType>.TryParse(t, out _))
            .WithMessage($"type must be one of {string.Join(", ", EnumText<LedgerEntryType>.All)}");
    }
}

/// <param name="BalanceTon">Balance in TON.</param>
/// <param name="BalanceNanoton"><c>balance_ton</c> in nanoTON (1 TON = 10⁹), exact, as a string.</param>
/// <param name="Currency"><c>TON</c>.</param>
/// <param name="TopupAddress">Your own deposit address for top-ups (null until provisioned).</param>
public sealed record BalanceResponse(decimal BalanceTon, Nanoton BalanceNanoton, [property: TextValues("TON")] string Currency, string? TopupAddress);

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
    DateTimeOffset CreatedAt)
{
    public static LedgerEntryResponse From(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
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

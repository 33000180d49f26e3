namespace TheOpenMoney.Api.Balance;

/// <summary>One change to a partner's balance in one currency (its amount in that currency's base units), written as a ledger row.</summary>
public sealed record LedgerChange(
    long PartnerId,
    LedgerEntryType Type,
    long AmountNanoton,
    long? OrderId = null,
    string? TxHash = null,
    string? Description = null,
    string? OperatorRef = null,
    long? DepositId = null,
    long? WithdrawalId = null,
    string Currency = PaymentCurrencies.Ton);

/// <summary>
/// The only writer of balances (through the database function <c>ledger_apply</c>, which
/// <c>apply_deposit</c> uses too). Each change is one statement that updates the partner's balance
/// row (taking its row lock, so concurrent changes queue) only if the result stays ≥ 0, and
/// appends the ledger row with the resulting balance: balance = sum(ledger) always holds.
/// Runs inside the caller's transaction.
/// </summary>
public sealed class BalanceLedger(AppDbContext db, TimeProvider time)
{
    /// <summary>Applies the change; returns the new balance, or null when it would go negative (nothing written).</summary>
    public async Task<long?> TryApplyAsync(LedgerChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var command = db.Command(
            "SELECT ledger_apply($1::bigint, $2::text, $3::bigint, $4::bigint, $5::text, $6::text, $7::text, $8::timestamptz, $9::bigint, $10::bigint, $11::text)",
            change.PartnerId,
            EnumText<LedgerEntryType>.ToText(change.Type),
            change.AmountNanoton,
            change.OrderId,
            change.TxHash,
            change.OperatorRef,
            change.Description,
            time.GetUtcNow(),
            change.DepositId,
            change.WithdrawalId,
            change.Currency);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is long balance ? balance : null;
    }

    /// <summary>The partner's TON balance in nanoTON (0 before its balance row exists); a plain read, no transaction needed.</summary>
    public Task<long> GetBalanceAsync(long partnerId, CancellationToken cancellationToken) =>
        GetBalanceAsync(partnerId, PaymentCurrencies.Ton, cancellationToken);

    /// <summary>The partner's balance in <paramref name="currency"/>, in its base units (0 before that balance row exists).</summary>
    public async Task<long> GetBalanceAsync(long partnerId, string currency, CancellationToken cancellationToken) =>
        await db.PartnerBalances.AsNoTracking()
            .Where(b => b.PartnerId == partnerId && b.Currency == currency)
            .Select(b => (long?)b.BalanceNanoton)
            .FirstOrDefaultAsync(cancellationToken) ?? 0;

    /// <summary>Makes sure the partner has a TON balance row (new partners start at zero; other currencies' rows open with their first credit).</summary>
    public async Task EnsureAccountAsync(long partnerId, CancellationToken cancellationToken) =>
        await db.ExecuteAsync(
            "INSERT INTO partner_balances (partner_id, currency, balance_nanoton, updated_at) VALUES ($1, 'TON', 0, $2) ON CONFLICT (partner_id, currency) DO NOTHING",
            cancellationToken,
            partnerId,
            time.GetUtcNow());

    /// <summary>
    /// An operator adjustment of the partner's <paramref name="currency"/> balance (<paramref name="amount"/> in its base
    /// units), applied at most once per <paramref name="operatorRef"/> whatever the currency: the partner's TON row (which
    /// always exists) is locked first, so checking for the reference and writing cannot race. The balance after, in that currency.
    /// </summary>
    public async Task<(bool Applied, long Balance)> AdjustOnceAsync(long partnerId, string currency, long amount, string operatorRef, string description, CancellationToken cancellationToken)
    {
        await EnsureAccountAsync(partnerId, cancellationToken);
        await using (var locked = db.Command("SELECT balance_nanoton FROM partner_balances WHERE partner_id = $1 AND currency = 'TON' FOR UPDATE", partnerId))
        {
            await locked.ExecuteScalarAsync(cancellationToken);
        }

        await using (var exists = db.Command("SELECT 1 FROM balance_ledger WHERE partner_id = $1 AND operator_ref = $2", partnerId, operatorRef))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
            {
                await using var current = db.Command("SELECT coalesce((SELECT balance_nanoton FROM partner_balances WHERE partner_id = $1 AND currency = $2), 0)", partnerId, currency);
                return (false, (long)(await current.ExecuteScalarAsync(cancellationToken))!);
            }
        }

        var balance = await TryApplyAsync(
            new LedgerChange(partnerId, LedgerEntryType.Adjustment, amount, Description: description, OperatorRef: operatorRef, Currency: currency),
            cancellationToken);
        return balance is { } b ? (true, b) : throw new InvalidOperationException("adjustment would make the balance negative");
    }
}

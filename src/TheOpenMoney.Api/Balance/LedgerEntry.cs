using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TheOpenMoney.Api.Balance;

public enum LedgerEntryType
{
    Topup,
    OrderPayment,
    Refund,
    Overpayment,
    Underpayment,
    LatePayment,
    Adjustment,

    /// <summary>A withdrawal's hold: its amount and fee, taken when the partner asks.</summary>
    Withdrawal,

    /// <summary>A withdrawal's hold given back in full (cancelled, expired, or failed at the processor).</summary>
    WithdrawalReversal,
}

/// <summary>The row that is locked to change a partner's balance; always equal to the sum of the ledger.</summary>
public sealed class PartnerBalance
{
    public long PartnerId { get; set; }

    /// <summary><c>TON</c> or <c>USDT</c>: one balance per currency.</summary>
    public string Currency { get; set; } = PaymentCurrencies.Ton;

    /// <summary>In base units of <see cref="Currency"/> (nanoTON for TON).</summary>
    public long BalanceNanoton { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One append-only ledger row (a trigger refuses UPDATE and DELETE).</summary>
public sealed class LedgerEntry
{
    public long Id { get; set; }

    public long PartnerId { get; set; }

    public LedgerEntryType Type { get; set; }

    /// <summary><c>TON</c> or <c>USDT</c>: what the amount and the balance after count.</summary>
    public string Currency { get; set; } = PaymentCurrencies.Ton;

    public long AmountNanoton { get; set; }

    public long BalanceAfterNanoton { get; set; }

    public long? OrderId { get; set; }

    public string? TxHash { get; set; }

    public string? OperatorRef { get; set; }

    /// <summary>The deposit that brought this TON, for on-chain credits.</summary>
    public long? DepositId { get; set; }

    /// <summary>The withdrawal a hold or its reversal belongs to.</summary>
    public long? WithdrawalId { get; set; }

    public string? Description { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class PartnerBalanceConfiguration : IEntityTypeConfiguration<PartnerBalance>
{
    public void Configure(EntityTypeBuilder<PartnerBalance> builder)
    {
        builder.ToTable("partner_balances");
        builder.HasKey(b => new { b.PartnerId, b.Currency });
        builder.Property(b => b.Currency).HasMaxLength(8);
        builder.Property(b => b.PartnerId).ValueGeneratedNever();
        builder.Property(b => b.BalanceNanoton).HasDefaultValue(0L);
    }
}

internal sealed class LedgerEntryConfiguration : IEntityTypeConfiguration<LedgerEntry>
{
    public void Configure(EntityTypeBuilder<LedgerEntry> builder)
    {
        builder.ToTable("balance_ledger", t => t.HasTrigger("trg_balance_ledger_append_only"));
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).UseIdentityAlwaysColumn();
        builder.Property(e => e.Type).HasConversion(EnumText<LedgerEntryType>.Converter).HasMaxLength(20);
        builder.Property(e => e.TxHash).HasMaxLength(128);
        builder.Property(e => e.OperatorRef).HasMaxLength(64);
        builder.Property(e => e.Currency).HasMaxLength(8);
        builder.HasIndex(e => e.OrderId).IsUnique().HasFilter("type = 'order_payment'").HasDatabaseName("ux_balance_ledger_order_payment");
        builder.HasIndex(e => new { e.PartnerId, e.OperatorRef }).IsUnique().HasFilter("operator_ref IS NOT NULL");
        builder.HasIndex(e => e.DepositId).IsUnique().HasFilter("deposit_id IS NOT NULL");
    }
}

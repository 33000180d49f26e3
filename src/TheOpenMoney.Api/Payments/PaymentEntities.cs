using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TheOpenMoney.Api.Payments;

/// <summary>A deposit address generated at the processor: the shared orders address, or one partner's top-up address.</summary>
public sealed class DepositAddress
{
    public long Id { get; set; }

    /// <summary><c>orders</c> or <c>topup</c>.</summary>
    public string Purpose { get; set; } = "";

    public long? PartnerId { get; set; }

    public string ProcessorUserId { get; set; } = "";

    public string Address { get; set; } = "";

    /// <summary><c>TON</c> or <c>USDT</c>: what the address receives (the processor generates each currency's apart).</summary>
    public string Currency { get; set; } = PaymentCurrencies.Ton;

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One incoming transfer, stored once per <c>tx_hash</c>, with where each nanoTON went.</summary>
public sealed class Deposit
{
    public long Id { get; set; }

    public string TxHash { get; set; } = "";

    public string ProcessorUserId { get; set; } = "";

    public string DepositAddress { get; set; } = "";

    public string? SourceAddress { get; set; }

    /// <summary>The amount in base units of <see cref="Currency"/> (nanoTON for TON).</summary>
    public long AmountNanoton { get; set; }

    /// <summary><c>TON</c> or <c>USDT</c>: what every amount of the row counts.</summary>
    public string Currency { get; set; } = PaymentCurrencies.Ton;

    /// <summary>The comment as PostgreSQL text can hold it (NUL shown as U+FFFD).</summary>
    public string? Comment { get; set; }

    /// <summary>The comment's exact UTF-8 bytes, when <see cref="Comment"/> had to differ from them.</summary>
    public byte[]? CommentOriginal { get; set; }

    public DateTimeOffset ChainTime { get; set; }

    /// <summary><c>poll</c> or <c>webhook</c>.</summary>
    public string ReceivedVia { get; set; } = "";

    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>Null until applied; then order_payment, partial_payment, overpayment, late_payment, topup or unmatched.</summary>
    public string? Kind { get; set; }

    public long? OrderId { get; set; }

    public long? PartnerId { get; set; }

    public long OrderNanoton { get; set; }

    public long CreditedNanoton { get; set; }

    public long UnmatchedNanoton { get; set; }

    public DateTimeOffset? AppliedAt { get; set; }
}

/// <summary>A processor row held for operators: unreadable, or refused by the database too often in a row.</summary>
public sealed class QuarantinedDeposit
{
    public long Id { get; set; }

    /// <summary>SHA-256 of <see cref="Raw"/>: the same row seen again is the same quarantine entry.</summary>
    public byte[] Fingerprint { get; set; } = [];

    public string? TxHash { get; set; }

    public string ProcessorUserId { get; set; } = "";

    /// <summary><c>poll</c>, <c>webhook</c>, <c>stored</c> or <c>hint</c>.</summary>
    public string ReceivedVia { get; set; } = "";

    /// <summary>The row's exact bytes as the processor sent them (or, for a readable deposit, its fields as JSON).</summary>
    public byte[] Raw { get; set; } = [];

    public string Reason { get; set; } = "";

    public long? AmountNanoton { get; set; }

    /// <summary>The currency the row was read in; null when unknown (held before USDT, when only TON was read, or the currency was the problem).</summary>
    public string? Currency { get; set; }

    public DateTimeOffset FirstSeenAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    public int SeenCount { get; set; }

    /// <summary>When an operator retried it successfully; null while it is held.</summary>
    public DateTimeOffset? ReleasedAt { get; set; }

    public string? ReleasedNote { get; set; }
}

/// <summary>Where the history of one processor user_id has been read to.</summary>
public sealed class ProcessorCursor
{
    public string ProcessorUserId { get; set; } = "";

    /// <summary>The processor keeps a history per (user_id, currency): TON, or a jetton it is configured with.</summary>
    public string Currency { get; set; } = "";

    public long NextOffset { get; set; }

    /// <summary>Every deposit dated up to this instant has been read (processor synced, history read to its end).</summary>
    public DateTimeOffset? SyncedTo { get; set; }

    public DateTimeOffset? LastSuccessAt { get; set; }

    public DateTimeOffset? LastFullScanAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class DepositAddressConfiguration : IEntityTypeConfiguration<DepositAddress>
{
    public void Configure(EntityTypeBuilder<DepositAddress> builder)
    {
        builder.ToTable("deposit_addresses");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Id).UseIdentityAlwaysColumn();
        builder.Property(a => a.Purpose).HasMaxLength(16);
        builder.Property(a => a.ProcessorUserId).HasMaxLength(64);
        builder.Property(a => a.Address).HasMaxLength(64);
        builder.Property(a => a.Currency).HasMaxLength(8);
        builder.HasIndex(a => a.Address).IsUnique();
    }
}

internal sealed class DepositConfiguration : IEntityTypeConfiguration<Deposit>
{
    public void Configure(EntityTypeBuilder<Deposit> builder)
    {
        builder.ToTable("deposits");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).UseIdentityAlwaysColumn();
        builder.Property(d => d.TxHash).HasMaxLength(128);
        builder.Property(d => d.ProcessorUserId).HasMaxLength(64);
        builder.Property(d => d.DepositAddress).HasMaxLength(64);
        builder.Property(d => d.SourceAddress).HasMaxLength(64);
        builder.Property(d => d.ReceivedVia).HasMaxLength(8);
        builder.Property(d => d.Kind).HasMaxLength(20);
        builder.Property(d => d.Currency).HasMaxLength(8);
        builder.Property(d => d.OrderNanoton).HasDefaultValue(0L);
        builder.Property(d => d.CreditedNanoton).HasDefaultValue(0L);
        builder.Property(d => d.UnmatchedNanoton).HasDefaultValue(0L);
        builder.HasIndex(d => d.TxHash).IsUnique();
    }
}

internal sealed class QuarantinedDepositConfiguration : IEntityTypeConfiguration<QuarantinedDeposit>
{
    public void Configure(EntityTypeBuilder<QuarantinedDeposit> builder)
    {
        builder.ToTable("quarantined_deposits");
        builder.HasKey(q => q.Id);
        builder.Property(q => q.Id).UseIdentityAlwaysColumn();
        builder.Property(q => q.TxHash).HasMaxLength(128);
        builder.Property(q => q.Currency).HasMaxLength(8);
        builder.Property(q => q.ProcessorUserId).HasMaxLength(64);
        builder.Property(q => q.ReceivedVia).HasMaxLength(8);
        builder.Property(q => q.SeenCount).HasDefaultValue(1);
        builder.HasIndex(q => q.Fingerprint).IsUnique();
    }
}

internal sealed class ProcessorCursorConfiguration : IEntityTypeConfiguration<ProcessorCursor>
{
    public void Configure(EntityTypeBuilder<ProcessorCursor> builder)
    {
        builder.ToTable("processor_cursors");
        builder.HasKey(c => new { c.ProcessorUserId, c.Currency });
        builder.Property(c => c.ProcessorUserId).HasMaxLength(64);
        builder.Property(c => c.Currency).HasMaxLength(16);
    }
}

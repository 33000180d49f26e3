using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TheOpenMoney.Api.Infrastructure.Idempotency;

/// <summary>A stored successful response for (partner, Idempotency-Key), replayed byte for byte.</summary>
public sealed class IdempotencyRecord
{
    public long PartnerId { get; set; }

    public string IdempotencyKey { get; set; } = "";

    public string RequestMethod { get; set; } = "";

    public string RequestPath { get; set; } = "";

    public byte[] RequestHash { get; set; } = [];

    public int ResponseStatus { get; set; }

    public byte[] ResponseBody { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        builder.ToTable("idempotency_records");
        builder.HasKey(r => new { r.PartnerId, r.IdempotencyKey });
        builder.Property(r => r.IdempotencyKey).HasMaxLength(255);
        builder.Property(r => r.RequestMethod).HasMaxLength(8);
        builder.Property(r => r.RequestPath).HasMaxLength(512);
    }
}

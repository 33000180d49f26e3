using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TheOpenMoney.Api.Partners;

internal sealed class PartnerConfiguration : IEntityTypeConfiguration<Partner>
{
    public void Configure(EntityTypeBuilder<Partner> builder)
    {
        builder.ToTable("partners");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).UseIdentityAlwaysColumn();
        builder.Property(p => p.Username).HasMaxLength(64);
        builder.HasIndex(p => p.TelegramUserId).IsUnique().HasFilter("livemode");
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).UseIdentityAlwaysColumn();
        builder.Property(k => k.Prefix).HasMaxLength(32);
        builder.HasIndex(k => k.KeyHash).IsUnique();
        builder.HasIndex(k => k.PartnerId).IsUnique().HasFilter("revoked_at IS NULL");
        builder.HasOne(k => k.Partner).WithMany().HasForeignKey(k => k.PartnerId).OnDelete(DeleteBehavior.Restrict);
    }
}

using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Api.Orders;

internal sealed class OrderConfiguration : IEntityTypeConfiguration<Order>
{
    public void Configure(EntityTypeBuilder<Order> builder)
    {
        builder.ToTable("orders");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.Id).UseIdentityAlwaysColumn();
        builder.Property(o => o.Status).HasConversion(EnumText<OrderStatus>.Converter).HasMaxLength(20);
        builder.Property(o => o.OrderType).HasConversion(EnumText<OrderType>.Converter).HasMaxLength(10);
        builder.Property(o => o.PaymentMethod).HasConversion(EnumText<PaymentMethod>.Converter).HasMaxLength(16);
        builder.Property(o => o.RecipientUsername).HasMaxLength(32);
        builder.Property(o => o.RecipientCheck).HasMaxLength(16);
        builder.Property(o => o.PriceUsd).HasPrecision(20, 6);
        builder.Property(o => o.FeePercent).HasPrecision(7, 4);
        builder.Property(o => o.TonUsdRate).HasPrecision(20, 9);
        builder.Property(o => o.RateSource).HasMaxLength(64);
        builder.Property(o => o.PaymentCurrency).HasMaxLength(8);
        builder.Property(o => o.PaymentJetton).HasMaxLength(64);
        builder.Property(o => o.PaymentAddress).HasMaxLength(64);
        builder.Property(o => o.PaymentMemo).HasMaxLength(32);
        builder.Property(o => o.ClientReference).HasMaxLength(128);
        builder.Property(o => o.PaymentTxHash).HasMaxLength(128);
        builder.Property(o => o.PaidNanoton).HasDefaultValue(0L);
        builder.Property(o => o.RefundedNanoton).HasDefaultValue(0L);
        builder.Property(o => o.LatePaidNanoton).HasDefaultValue(0L);
        builder.Property(o => o.DeliveryAttempts).HasDefaultValue(0);
        builder.Property(o => o.SupplierReference).HasMaxLength(128);
        builder.Property(o => o.TonrampStatus).HasMaxLength(16);
        builder.HasIndex(o => o.PaymentMemo).IsUnique();
    }
}

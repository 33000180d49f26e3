using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TheOpenMoney.Api.Telegram;

/// <summary>An update the bot has handled (or is handling), by Telegram's <c>update_id</c>.</summary>
public sealed class TelegramUpdateRecord
{
    public long UpdateId { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }
}

internal sealed class TelegramUpdateRecordConfiguration : IEntityTypeConfiguration<TelegramUpdateRecord>
{
    public void Configure(EntityTypeBuilder<TelegramUpdateRecord> builder)
    {
        builder.ToTable("telegram_updates");
        builder.HasKey(u => u.UpdateId);
        builder.Property(u => u.UpdateId).ValueGeneratedNever();
        builder.HasIndex(u => u.ReceivedAt);
    }
}

using System.Text;
using Microsoft.EntityFrameworkCore;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure.Idempotency;
using TheOpenMoney.Api.Orders;
using TheOpenMoney.Api.Partners;
using TheOpenMoney.Api.Payments;
using TheOpenMoney.Api.Telegram;

namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>
/// The EF Core model. The schema itself lives in the SQL files under Migrations/ (applied by
/// <see cref="Migrator"/>); a test proves the two agree.
/// </summary>
public class AppDbContext : DbContext
{
    public AppDbContext(DbContextOptions<AppDbContext> options)
        : base(options)
    {
    }

    /// <summary>For <see cref="ReadOnlyDbContext"/>: the same model over other options.</summary>
    protected AppDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<Partner> Partners => Set<Partner>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<PartnerBalance> PartnerBalances => Set<PartnerBalance>();

    public DbSet<LedgerEntry> Ledger => Set<LedgerEntry>();

    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();

    public DbSet<DepositAddress> DepositAddresses => Set<DepositAddress>();

    public DbSet<Deposit> Deposits => Set<Deposit>();

    public DbSet<ProcessorCursor> ProcessorCursors => Set<ProcessorCursor>();

    public DbSet<QuarantinedDeposit> QuarantinedDeposits => Set<QuarantinedDeposit>();

    public DbSet<TelegramUpdateRecord> TelegramUpdates => Set<TelegramUpdateRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
        ApplySnakeCaseColumnNames(modelBuilder);
    }

    /// <summary>Every column is the snake_case form of its property unless a configuration said otherwise.</summary>
    private static void ApplySnakeCaseColumnNames(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.GetColumnName() == property.Name)
                {
                    property.SetColumnName(ToSnakeCase(property.Name));
                }
            }
        }
    }

    internal static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

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

    /// <summary>
    /// Column names are the snake_case of their properties (EFCore.NamingConventions), whoever builds the
    /// options: the app's pooled registrations set it (pooling forbids changing options here), anyone
    /// else (a test, a tool) gets it added.
    /// </summary>
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        if (optionsBuilder.Options.FindExtension<EFCore.NamingConventions.Internal.NamingConventionsOptionsExtension>() is null)
        {
            optionsBuilder.UseSnakeCaseNamingConvention();
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
    }
}

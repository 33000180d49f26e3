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
    /// Entities marked <see cref="IWrittenByStatementsOnly"/> (an order: its state machine has one owner) are
    /// never written through the change tracker: a tracked insert, change or delete of one fails here,
    /// before anything reaches the database.
    /// </summary>
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RefuseTrackedWritesOfStatementOnlyEntities();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    /// <inheritdoc cref="SaveChanges(bool)"/>
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RefuseTrackedWritesOfStatementOnlyEntities();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    private void RefuseTrackedWritesOfStatementOnlyEntities()
    {
        var written = ChangeTracker.Entries<IWrittenByStatementsOnly>()
            .FirstOrDefault(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted);
        if (written is not null)
        {
            throw new InvalidOperationException(
                $"{written.Entity.GetType().Name} is written only by its owner's guarded statements ({written.Entity.WrittenBy}), never through the change tracker ({written.State})");
        }
    }

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

        // Foreign keys between the tables of different features, declared here so that each feature's
        // entity configuration names only its own types (the features do not import each other for it).
        modelBuilder.Entity<Order>().HasOne<Partner>().WithMany().HasForeignKey(o => o.PartnerId).OnDelete(DeleteBehavior.Restrict);
        modelBuilder.Entity<PartnerBalance>().HasOne<Partner>().WithMany().HasForeignKey(b => b.PartnerId).OnDelete(DeleteBehavior.Restrict);
        modelBuilder.Entity<LedgerEntry>(ledger =>
        {
            ledger.HasOne<Partner>().WithMany().HasForeignKey(e => e.PartnerId).OnDelete(DeleteBehavior.Restrict);
            ledger.HasOne<Order>().WithMany().HasForeignKey(e => e.OrderId).OnDelete(DeleteBehavior.Restrict);
            ledger.HasOne<Deposit>().WithMany().HasForeignKey(e => e.DepositId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<DepositAddress>().HasOne<Partner>().WithMany().HasForeignKey(a => a.PartnerId).OnDelete(DeleteBehavior.Restrict);
        modelBuilder.Entity<Deposit>(deposit =>
        {
            deposit.HasOne<Order>().WithMany().HasForeignKey(d => d.OrderId).OnDelete(DeleteBehavior.Restrict);
            deposit.HasOne<Partner>().WithMany().HasForeignKey(d => d.PartnerId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<IdempotencyRecord>().HasOne<Partner>().WithMany().HasForeignKey(r => r.PartnerId).OnDelete(DeleteBehavior.Restrict);
    }
}

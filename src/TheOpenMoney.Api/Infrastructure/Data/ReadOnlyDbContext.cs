namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>
/// The same model as <see cref="AppDbContext"/> over the multiplexed read connections
/// (<see cref="DataSources.Reads"/>), for the hot single-statement reads of the API (an order, a
/// page of orders). It tracks nothing and cannot save: anything that writes, or reads inside a
/// transaction, uses <see cref="AppDbContext"/>.
/// </summary>
public sealed class ReadOnlyDbContext(DbContextOptions<ReadOnlyDbContext> options) : AppDbContext(options)
{
    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        throw new InvalidOperationException("ReadOnlyDbContext does not write; use AppDbContext");

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("ReadOnlyDbContext does not write; use AppDbContext");
}

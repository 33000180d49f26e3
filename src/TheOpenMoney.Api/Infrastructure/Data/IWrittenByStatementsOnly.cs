namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>
/// An entity whose table has one owner that writes it with guarded statements only (<c>UPDATE … WHERE
/// status = …</c>): <see cref="AppDbContext"/> refuses tracked inserts, changes and deletes of it, so no
/// code can move it around its owner by loading it and calling <c>SaveChanges</c>.
/// </summary>
public interface IWrittenByStatementsOnly
{
    /// <summary>Who writes it (for the error).</summary>
    string WrittenBy { get; }
}

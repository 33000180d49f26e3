using System.Data.Common;
using Microsoft.EntityFrameworkCore.Storage;

namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>Raw Npgsql commands on the DbContext's own connection and current transaction.</summary>
public static class DbCommands
{
    /// <summary>A command enlisted in <paramref name="db"/>'s open transaction (one is required).</summary>
    public static NpgsqlCommand Command(this AppDbContext db, string sql, params object?[] parameters)
    {
        var transaction = OpenTransaction(db);
        var command = new NpgsqlCommand(sql, transaction.Connection, transaction);
        AddParameters(command.Parameters, parameters);
        return command;
    }

    /// <summary>
    /// Several statements in <paramref name="db"/>'s open transaction, sent in one round trip. Each
    /// entry is the SQL and its positional parameters.
    /// </summary>
    public static NpgsqlBatch Batch(this AppDbContext db, params (string Sql, object?[] Parameters)[] statements)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var transaction = OpenTransaction(db);
        var batch = new NpgsqlBatch(transaction.Connection, transaction);
        foreach (var (sql, parameters) in statements)
        {
            var command = new NpgsqlBatchCommand(sql);
            AddParameters(command.Parameters, parameters);
            batch.BatchCommands.Add(command);
        }

        return batch;
    }

    public static async Task<int> ExecuteAsync(this AppDbContext db, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        await using var command = db.Command(sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static T? Get<T>(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? default : reader.GetFieldValue<T>(ordinal);

    private static NpgsqlTransaction OpenTransaction(AppDbContext db)
    {
        ArgumentNullException.ThrowIfNull(db);
        return (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("raw commands run inside a transaction");
    }

    private static void AddParameters(NpgsqlParameterCollection collection, object?[] parameters)
    {
        foreach (var value in parameters)
        {
            collection.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }
    }
}

using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>Raw Npgsql commands on the DbContext's own connection and current transaction.</summary>
public static class DbCommands
{
    /// <summary>A command enlisted in <paramref name="db"/>'s open transaction (one is required).</summary>
    public static NpgsqlCommand Command(this AppDbContext db, string sql, params object?[] parameters)
    {
        ArgumentNullException.ThrowIfNull(db);
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("raw commands run inside a transaction");
        var command = new NpgsqlCommand(sql, (NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    public static async Task<int> ExecuteAsync(this AppDbContext db, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        await using var command = db.Command(sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static T? Get<T>(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? default : reader.GetFieldValue<T>(ordinal);
}

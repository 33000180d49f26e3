using Npgsql;

namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>Session advisory locks held on a pooled connection.</summary>
public static class AdvisoryLocks
{
    /// <summary>
    /// Unlocks and disposes. A pooled connection keeps its session locks after Dispose, so when the
    /// unlock itself fails (a cancelled command left the connection unusable) the pool is cleared,
    /// which closes the physical connection and with it the lock. Returns the unlock's failure, if any.
    /// </summary>
    public static async Task<Exception?> ReleaseAsync(NpgsqlConnection connection, long key)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Exception? failure = null;
        try
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({key})", connection);
                await unlock.ExecuteScalarAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failure = ex;
            NpgsqlConnection.ClearPool(connection);
        }

        await connection.DisposeAsync();
        return failure;
    }
}

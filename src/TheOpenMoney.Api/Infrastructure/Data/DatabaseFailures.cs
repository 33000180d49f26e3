using System.Net.Sockets;

namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>
/// Tells a database that is unreachable, overloaded or not answering (retry later: 503, back off)
/// from a database that refused one statement (a bug or bad data). EF Core and Npgsql wrap the
/// cause in other exceptions, so the whole chain is looked at.
/// </summary>
public static class DatabaseFailures
{
    /// <summary>
    /// SQLSTATEs that say "not now", not "not this": connection failures (08), insufficient resources
    /// (53), operator intervention (57: shutdown, cannot connect now, statement cancelled by a timeout),
    /// system errors (58), and the retryable transaction conflicts (40001, 40P01, 55P03 lock timeout).
    /// </summary>
    public static bool IsTransientState(string? sqlState) =>
        sqlState is not null
        && (sqlState.StartsWith("08", StringComparison.Ordinal)
            || sqlState.StartsWith("53", StringComparison.Ordinal)
            || sqlState.StartsWith("57", StringComparison.Ordinal)
            || sqlState.StartsWith("58", StringComparison.Ordinal)
            || sqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.LockNotAvailable);

    /// <summary>True when the failure is the database's state (down, frozen, overloaded), not the statement's.</summary>
    public static bool IsUnavailable(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return IsTransientState(postgres.SqlState);
                case NpgsqlException npgsql when npgsql.IsTransient || npgsql.InnerException is SocketException or TimeoutException or IOException:
                    return true;
                case TimeoutException or SocketException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>A short, stable name for the failure (for health and metrics: never the exception text).</summary>
    public static string Kind(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is PostgresException postgres)
            {
                return IsTransientState(postgres.SqlState) ? "database_unavailable" : "database_error_" + postgres.SqlState;
            }
        }

        return IsUnavailable(exception) ? "database_unavailable" : "database_error";
    }
}

namespace TheOpenMoney.Api.Infrastructure.Background;

/// <summary>
/// Leadership among the instances of a deployment: a session advisory lock
/// (<c>pg_try_advisory_lock(key)</c>) held on a dedicated connection from the main
/// <see cref="NpgsqlDataSource"/>. <see cref="EnsureHeldAsync"/> pings that connection before each
/// run and competes again when it died (and the lock with it); <see cref="StopAsync"/> unlocks
/// explicitly, because a pooled connection stays open (and a session lock with it) until the pool
/// reuses or prunes it, which would keep another instance from taking over.
/// <para>
/// The lock's connection only ever runs short commands under their own timeout, never the caller's
/// token: a cancellation racing a finished command could hit the next one on that session. Callers
/// run one <see cref="EnsureHeldAsync"/> at a time (the runner does).
/// </para>
/// </summary>
public sealed partial class PostgresLeaderLock(NpgsqlDataSource dataSource, long key, string name, ILogger logger) : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    private NpgsqlConnection? _connection;
    private int _stopped;

    public long Key => key;

    /// <summary>This instance held the lock at its last check (the connection may have died since).</summary>
    public bool IsHeld => Volatile.Read(ref _connection) is not null;

    /// <summary>True while this instance holds the lock: kept (the ping answered) or just taken. False when another instance holds it, or after <see cref="StopAsync"/>.</summary>
    public async Task<bool> EnsureHeldAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _stopped) != 0)
        {
            return false;
        }

        using var timeout = new CancellationTokenSource(CommandTimeout);
        if (Volatile.Read(ref _connection) is { State: System.Data.ConnectionState.Open } held)
        {
            try
            {
                await using var ping = new NpgsqlCommand("SELECT 1", held);
                await ping.ExecuteScalarAsync(timeout.Token);
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or OperationCanceledException)
            {
                LogLost(logger, name);
            }
        }

        // The connection, and the lock with it, is gone (or was never there): compete again.
        await ReleaseAsync();
        var connection = await dataSource.OpenConnectionAsync(timeout.Token);
        try
        {
            await using var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({key})", connection);
            if (!(bool)(await tryLock.ExecuteScalarAsync(timeout.Token))!)
            {
                return false;
            }

            Interlocked.Exchange(ref _connection, connection);
            connection = null;
            if (Volatile.Read(ref _stopped) != 0)
            {
                // Stopped while competing: hand the lock straight back.
                await ReleaseAsync();
                return false;
            }

            LogLeader(logger, name, key);
            return true;
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Gives leadership up for good (idempotent; safe to call while the host stops its services more than once).</summary>
    public async Task StopAsync()
    {
        Interlocked.Exchange(ref _stopped, 1);
        await ReleaseAsync();
    }

    /// <summary>Only for a host disposed without being stopped: the pooled connection goes back, and with the data source's disposal, the lock.</summary>
    public void Dispose() => Interlocked.Exchange(ref _connection, null)?.Dispose();

    private async Task ReleaseAsync()
    {
        // Taken atomically: a stop may race the runner's own release of a dead connection.
        var connection = Interlocked.Exchange(ref _connection, null);
        if (connection is not null && await UnlockAndDisposeAsync(connection, key) is { } failure)
        {
            LogUnlockFailed(logger, name, failure);
        }
    }

    /// <summary>
    /// Unlocks and disposes. A pooled connection keeps its session locks after Dispose, so when the
    /// unlock itself fails (a cancelled command left the connection unusable) the pool is cleared,
    /// which closes the physical connection and with it the lock. Returns the unlock's failure, if any.
    /// </summary>
    private static async Task<Exception?> UnlockAndDisposeAsync(NpgsqlConnection connection, long key)
    {
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

    [LoggerMessage(Level = LogLevel.Information, Message = "This instance now leads {Job} (advisory lock {LockKey})")]
    private static partial void LogLeader(ILogger logger, string job, long lockKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The leader connection of {Job} stopped answering; competing for leadership again")]
    private static partial void LogLost(ILogger logger, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing the leader lock of {Job} failed; its connection was discarded instead")]
    private static partial void LogUnlockFailed(ILogger logger, string job, Exception exception);
}

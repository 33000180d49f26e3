namespace TheOpenMoney.Api.Partners;

/// <summary>
/// Keeps <see cref="ApiKeyCache"/> honest: <c>LISTEN api_keys_changed</c> on a connection of its own (not
/// pooled, and on <c>ConnectionStrings:PostgresDirect</c> when set, since PgBouncer in transaction mode cannot
/// hold a LISTEN) and drops each announced key. One run lasts as long as its connection: a background job with
/// interval zero that waits inside its run (as a long poll does), checking the connection every
/// <see cref="ApiKeyOptions.ListenCheckInterval"/> with a <c>SELECT 1</c> bounded by the same interval, so a dead
/// connection is noticed within about a second. When the run fails the cache is distrusted (bypassed and
/// emptied) at once, and the runner starts a new run after its backoff; the cache is trusted again only once
/// the new connection listens. Every instance runs it.
/// </summary>
public sealed partial class ApiKeyRevocationListener(
    IConfiguration configuration,
    ApiKeyCache cache,
    ApiKeyListenerState state,
    IOptions<ApiKeyOptions> options,
    ILogger<ApiKeyRevocationListener> logger) : IBackgroundJob
{
    public const string Channel = "api_keys_changed";

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ListenAsync(cancellationToken);
            return JobOutcome.Idle;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogListenFailed(logger, DatabaseFailures.Kind(ex));
            throw;
        }
        finally
        {
            cache.Distrust();
            state.BackendProcessId = 0;
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.ListenCheckInterval;
        var builder = new NpgsqlConnectionStringBuilder(DataSources.SessionConnectionString(configuration))
        {
            Pooling = false,
            Multiplexing = false,
            Timeout = Math.Max(2, (int)Math.Ceiling(interval.TotalSeconds * 3)),
            ApplicationName = "theopenmoney-key-listener",
        };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Notification += (_, e) => cache.Invalidate(e.Payload);
        await connection.OpenAsync(cancellationToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        state.BackendProcessId = connection.ProcessID;
        cache.Trust();
        LogListening(logger);
        while (!cancellationToken.IsCancellationRequested)
        {
            // Notifications are read as they arrive; between them, a bounded ping proves the connection lives.
            if (await connection.WaitAsync(interval, cancellationToken))
            {
                continue;
            }

            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(interval);
            await using var ping = new NpgsqlCommand("SELECT 1", connection);
            await ping.ExecuteScalarAsync(bound.Token);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for key revocations; the key cache is in use")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The key revocation listener lost its connection ({Kind}); the key cache is bypassed until it listens again")]
    private static partial void LogListenFailed(ILogger logger, string kind);
}

/// <summary>What the listener's current run holds, for health and tests: the backend process id of its connection (0: not listening).</summary>
public sealed class ApiKeyListenerState
{
    private int _backendProcessId;

    public int BackendProcessId
    {
        get => Volatile.Read(ref _backendProcessId);
        set => Volatile.Write(ref _backendProcessId, value);
    }
}

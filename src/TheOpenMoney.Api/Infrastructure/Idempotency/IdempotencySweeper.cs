using Microsoft.Extensions.Options;
using Npgsql;
using TheOpenMoney.Api.Infrastructure.Background;

namespace TheOpenMoney.Api.Infrastructure.Idempotency;

/// <summary>Deletes idempotency records past their retention, in bounded batches, every few minutes.</summary>
public sealed partial class IdempotencySweeper(
    NpgsqlDataSource dataSource,
    TimeProvider time,
    IOptions<IdempotencyOptions> options,
    ILogger<IdempotencySweeper> logger) : BackgroundService
{
    private const int BatchSize = 5_000;

    /// <summary>One pass; returns how many records were deleted.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var deleted = 0;
        while (true)
        {
            await using var command = dataSource.CreateCommand(
                """
                DELETE FROM idempotency_records
                 WHERE ctid IN (SELECT ctid FROM idempotency_records WHERE expires_at < $1 LIMIT $2)
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            command.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
            var batch = await command.ExecuteNonQueryAsync(cancellationToken);
            deleted += batch;
            if (batch < BatchSize)
            {
                return deleted;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.NextTickAsync(stoppingToken))
        {
            try
            {
                var deleted = await SweepOnceAsync(stoppingToken);
                if (deleted > 0)
                {
                    LogSwept(logger, deleted);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} expired idempotency records")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Idempotency sweep failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

namespace TheOpenMoney.Api.Infrastructure.Idempotency;

/// <summary>
/// Deletes idempotency records past their retention, in bounded batches (<c>Idempotency:SweepInterval</c>).
/// Every instance runs it: a second sweep deletes nothing more.
/// </summary>
public sealed partial class IdempotencySweeper(
    NpgsqlDataSource dataSource,
    TimeProvider time,
    ILogger<IdempotencySweeper> logger) : IBackgroundJob
{
    private const int BatchSize = 5_000;

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var deleted = await SweepOnceAsync(cancellationToken);
        if (deleted > 0)
        {
            LogSwept(logger, deleted);
        }

        return JobOutcome.Idle;
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} expired idempotency records")]
    private static partial void LogSwept(ILogger logger, int count);
}

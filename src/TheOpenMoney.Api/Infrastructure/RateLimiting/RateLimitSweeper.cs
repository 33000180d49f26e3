namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>
/// Deletes shared windows that ended more than a window ago (<c>rate_limit_buckets</c>) and TonRamp permits
/// that left their moving window, so both tables hold only what is in force. Every instance may run it (the
/// deletes are idempotent).
/// </summary>
public sealed class RateLimitSweeper(NpgsqlDataSource dataSource, TimeProvider time, IOptions<RateLimitingOptions> options) : IBackgroundJob
{
    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var batch = dataSource.CreateBatch();
        // Only windows that have ended (a bucket's window may be longer than the API's: the bot's cooldown), with one API
        // window of grace for instances whose clocks run behind.
        var windows = new NpgsqlBatchCommand("DELETE FROM rate_limit_buckets WHERE window_end < $1");
        windows.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now - options.Value.Window });
        var permits = new NpgsqlBatchCommand("DELETE FROM tonramp_permits WHERE granted_at < $1");
        permits.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now - TimeSpan.FromMinutes(5) });
        batch.BatchCommands.Add(windows);
        batch.BatchCommands.Add(permits);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return JobOutcome.Idle;
    }
}

namespace TheOpenMoney.Api.Webhooks;

/// <summary>Deletes events past <see cref="EventOptions.EventRetention"/> (their deliveries and attempts with them), in batches.</summary>
public sealed class EventRetentionSweeper(NpgsqlDataSource dataSource, TimeProvider time, IOptions<EventOptions> options) : IBackgroundJob
{
    private const int BatchSize = 5_000;

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < $1 ORDER BY id LIMIT $2)");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() - options.Value.EventRetention });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = BatchSize });
        return await command.ExecuteNonQueryAsync(cancellationToken) >= BatchSize ? JobOutcome.MoreWork : JobOutcome.Idle;
    }
}

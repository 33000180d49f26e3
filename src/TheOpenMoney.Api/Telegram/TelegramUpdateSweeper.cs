namespace TheOpenMoney.Api.Telegram;

/// <summary>Deletes handled update ids past <see cref="TelegramOptions.UpdateRetention"/> (hourly, both modes, every instance: a second sweep deletes nothing).</summary>
public sealed class TelegramUpdateSweeper(NpgsqlDataSource dataSource, IOptions<TelegramOptions> options, TimeProvider time) : IBackgroundJob
{
    internal static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        await BotUpdateProcessor.SweepAsync(dataSource, time.GetUtcNow() - options.Value.UpdateRetention, cancellationToken);
        return JobOutcome.Idle;
    }
}

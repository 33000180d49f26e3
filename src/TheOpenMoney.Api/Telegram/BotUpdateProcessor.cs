using Telegram.Bot.Types;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// Handles one update at most once, whichever way it arrived (polling or webhook): its
/// <c>update_id</c> is claimed in <c>telegram_updates</c> with <c>INSERT … ON CONFLICT DO NOTHING</c>
/// first, and only the caller that inserted the row runs the command. A failing command is logged,
/// never rethrown, so one bad update cannot stall the receiver; a failure to claim (database down)
/// is rethrown, so the update is fetched or delivered again later.
/// </summary>
public sealed partial class BotUpdateProcessor(
    NpgsqlDataSource dataSource,
    BotCommandHandler handler,
    TimeProvider time,
    ILogger<BotUpdateProcessor> logger)
{
    /// <summary>False when the update had been handled already (nothing done).</summary>
    public async Task<bool> ProcessAsync(Update update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (!await ClaimAsync(update.Id, cancellationToken))
        {
            LogDuplicate(logger, update.Id);
            return false;
        }

        try
        {
            await handler.HandleAsync(update, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            LogFailed(logger, update.Id, ex);
        }

        return true;
    }

    /// <summary>Forgets update ids older than <paramref name="cutoff"/> (Telegram never redelivers them); returns how many.</summary>
    public static async Task<int> SweepAsync(NpgsqlDataSource dataSource, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("DELETE FROM telegram_updates WHERE received_at < $1");
        command.Parameters.Add(new NpgsqlParameter { Value = cutoff });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<bool> ClaimAsync(long updateId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO telegram_updates (update_id, received_at) VALUES ($1, $2) ON CONFLICT (update_id) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = updateId });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram update {UpdateId} was handled before; skipped")]
    private static partial void LogDuplicate(ILogger logger, long updateId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling Telegram update {UpdateId} failed")]
    private static partial void LogFailed(ILogger logger, long updateId, Exception exception);
}

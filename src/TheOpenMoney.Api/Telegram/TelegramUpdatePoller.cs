using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// Polling mode, once <see cref="TelegramBotStartUp"/> has succeeded: long-polls <c>getUpdates</c>,
/// handles each update once in its own scope (<see cref="BotUpdateProcessor"/>) and confirms it with
/// <c>offset = update_id + 1</c> (kept in <see cref="BotUpdateOffset"/> across runs). A 429 waits its
/// <c>retry_after</c>; a 409 (another poller with this token, or a webhook set) is logged as an error
/// and backed off; any other failure is backed off. One instance polls (leader lock
/// <see cref="LeaderLockKey"/>); the others try to take over every <see cref="TelegramOptions.LeaderRetryInterval"/>.
/// </summary>
public sealed partial class TelegramUpdatePoller(
    IServiceScopeFactory scopes,
    ITelegramBotClient bot,
    BotStatus status,
    BotUpdateOffset offset,
    IOptions<TelegramOptions> options,
    ILogger<TelegramUpdatePoller> logger) : IBackgroundJob
{
    /// <summary>Advisory lock key of the one poller ("TOM-TGBT").</summary>
    internal const long LeaderLockKey = 0x544F4D2D54474254;

    /// <summary>Only messages and presses on the bot's buttons are asked for (<c>allowed_updates</c>); the bot acts on nothing else.</summary>
    internal static readonly IReadOnlyList<UpdateType> AllowedUpdates = [UpdateType.Message, UpdateType.CallbackQuery];

    private static readonly TimeSpan RetryAfterMargin = TimeSpan.FromMilliseconds(100);

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!status.IsStartedUp)
        {
            return JobOutcome.WaitFor(settings.RetryBaseDelay);
        }

        Update[] updates;
        try
        {
            updates = await bot.GetUpdates(
                offset.Next, timeout: (int)settings.LongPollTimeout.TotalSeconds, allowedUpdates: AllowedUpdates, cancellationToken: cancellationToken);
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 429 && ex.Parameters?.RetryAfter is int seconds and >= 0)
        {
            var wait = TimeSpan.FromSeconds(seconds) + RetryAfterMargin;
            LogRateLimited(logger, (long)wait.TotalMilliseconds);
            return JobOutcome.WaitFor(wait);
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 409)
        {
            throw new JobFailedException("Telegram refused getUpdates with a conflict (another poller with this token, or a webhook is set)", ex, LogLevel.Error);
        }

        foreach (var update in updates)
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<BotUpdateProcessor>().ProcessAsync(update, cancellationToken);
            }

            offset.Confirm(update.Id);
        }

        // The long poll is the wait: poll again at once.
        return JobOutcome.Idle;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram asked the poller to slow down; waiting {DelayMs} ms")]
    private static partial void LogRateLimited(ILogger logger, long delayMs);
}

/// <summary>The <c>getUpdates</c> offset of this process: the update after the last one handled.</summary>
public sealed class BotUpdateOffset
{
    /// <summary>Null until the first update is handled (Telegram then starts at the oldest unconfirmed one).</summary>
    public int? Next { get; private set; }

    public void Confirm(int updateId) => Next = updateId + 1;
}

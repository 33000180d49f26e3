using Telegram.Bot;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// The bot's start-up, on every instance in both modes: <c>getMe</c>, then <c>deleteWebhook</c>
/// (Polling) or <c>setWebhook</c> with the secret when <c>Telegram:WebhookUrl</c> is set (Webhook),
/// then <c>setMyCommands</c>. A failure is logged as an error and retried with the backoff
/// (<see cref="TelegramOptions.RetryBaseDelay"/> up to <see cref="TelegramOptions.MaxRetryDelay"/>) until
/// it works; then the job is finished and <see cref="TelegramUpdatePoller"/> may poll.
/// </summary>
public sealed partial class TelegramBotStartUp(
    ITelegramBotClient bot,
    BotStatus status,
    IOptions<TelegramOptions> options,
    ILogger<TelegramBotStartUp> logger) : IBackgroundJob
{
    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var mode = settings.EffectiveMode;
        string? username;
        try
        {
            username = (await bot.GetMe(cancellationToken)).Username;
            status.Identified(username);
            if (mode == TelegramMode.Polling)
            {
                await bot.DeleteWebhook(dropPendingUpdates: false, cancellationToken);
            }
            else if (settings.WebhookUrl is { } url)
            {
                await bot.SetWebhook(url, allowedUpdates: TelegramUpdatePoller.AllowedUpdates, dropPendingUpdates: false, secretToken: settings.WebhookSecret, cancellationToken: cancellationToken);
            }

            await bot.SetMyCommands(BotCommandHandler.Menu, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new JobFailedException("Telegram bot start-up failed", ex, LogLevel.Error);
        }

        status.StartedUp();
        LogStarted(logger, username ?? "?", mode);
        return JobOutcome.Finished;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram bot @{Username} started in {Mode} mode")]
    private static partial void LogStarted(ILogger logger, string username, TelegramMode mode);
}

using Microsoft.Extensions.Options;
using Npgsql;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using TheOpenMoney.Api.Infrastructure.Data;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// Runs the bot for <see cref="TelegramOptions.EffectiveMode"/>. At start (retried with backoff until
/// it works): <c>getMe</c>, then <c>deleteWebhook</c> (Polling) or <c>setWebhook</c> with the secret
/// when <c>Telegram:WebhookUrl</c> is set (Webhook), then <c>setMyCommands</c>.
/// <para>
/// Polling: one instance polls (a session advisory lock held on a dedicated connection); it long-polls
/// <c>getUpdates</c>, handles each update once (<see cref="BotUpdateProcessor"/>) and confirms it with
/// <c>offset = update_id + 1</c>. A 429 waits its <c>retry_after</c>; a 409 (another poller, or a
/// webhook set) is logged as an error and backed off; any other failure backs off exponentially with
/// jitter up to <see cref="TelegramOptions.MaxRetryDelay"/>, reset after a success. Nothing escapes.
/// </para>
/// <para>Both modes sweep old rows of <c>telegram_updates</c> hourly.</para>
/// </summary>
public sealed partial class TelegramBotService(
    IServiceScopeFactory scopes,
    ITelegramBotClient bot,
    NpgsqlDataSource dataSource,
    BotStatus status,
    IOptions<TelegramOptions> options,
    TimeProvider time,
    ILogger<TelegramBotService> logger) : BackgroundService
{
    /// <summary>Advisory lock key of the one poller ("TOM-TGBT").</summary>
    internal const long PollerLockKey = 0x544F4D2D54474254;

    /// <summary>Only messages are asked for (<c>allowed_updates</c>); the bot acts on nothing else.</summary>
    internal static readonly IReadOnlyList<UpdateType> AllowedUpdates = [UpdateType.Message];

    private static readonly TimeSpan SweepInterval = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryAfterMargin = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LockCommandTimeout = TimeSpan.FromSeconds(10);

    private NpgsqlConnection? _leaderConnection;
    private DateTimeOffset _nextSweepAt = DateTimeOffset.MinValue;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await ReleaseLeadershipAsync();
    }

    public override void Dispose()
    {
        Interlocked.Exchange(ref _leaderConnection, null)?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var mode = settings.EffectiveMode;
        if (mode == TelegramMode.Disabled)
        {
            if (settings.Mode is TelegramMode.Polling or TelegramMode.Webhook)
            {
                LogNoToken(logger, settings.Mode.Value);
            }

            return;
        }

        try
        {
            await StartUpAsync(mode, stoppingToken);
            if (mode == TelegramMode.Polling)
            {
                await PollAsync(stoppingToken);
            }
            else
            {
                await SweepPeriodicallyAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            // The loops catch everything; this is a last guard so the host never sees an exception.
            LogStopped(logger, ex);
        }
    }

    private async Task StartUpAsync(TelegramMode mode, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var backoff = new Backoff(settings.RetryBaseDelay, settings.MaxRetryDelay);
        while (true)
        {
            try
            {
                var me = await bot.GetMe(cancellationToken);
                status.Identified(me.Username);
                if (mode == TelegramMode.Polling)
                {
                    await bot.DeleteWebhook(dropPendingUpdates: false, cancellationToken);
                }
                else if (settings.WebhookUrl is { } url)
                {
                    await bot.SetWebhook(url, allowedUpdates: AllowedUpdates, dropPendingUpdates: false, secretToken: settings.WebhookSecret, cancellationToken: cancellationToken);
                }

                await bot.SetMyCommands(BotCommandHandler.Menu, cancellationToken: cancellationToken);
                LogStarted(logger, me.Username ?? "?", mode);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                LogStartUpFailed(logger, (long)delay.TotalMilliseconds, ex);
                await DelayAsync(delay, cancellationToken);
            }
        }
    }

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var backoff = new Backoff(settings.RetryBaseDelay, settings.MaxRetryDelay);
        int? offset = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan? wait = null;
            try
            {
                if (!await EnsureLeaderAsync(stoppingToken))
                {
                    status.Leader(false);
                    wait = settings.LeaderRetryInterval;
                }
                else
                {
                    status.Leader(true);
                    var updates = await bot.GetUpdates(
                        offset, timeout: (int)settings.LongPollTimeout.TotalSeconds, allowedUpdates: AllowedUpdates, cancellationToken: stoppingToken);
                    backoff.Reset();
                    foreach (var update in updates)
                    {
                        await ProcessAsync(update, stoppingToken);
                        offset = update.Id + 1;
                    }

                    await SweepIfDueAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ApiRequestException ex) when (ex.ErrorCode == 429 && ex.Parameters?.RetryAfter is int seconds and >= 0)
            {
                wait = TimeSpan.FromSeconds(seconds) + RetryAfterMargin;
                LogRateLimited(logger, (long)wait.Value.TotalMilliseconds);
            }
            catch (ApiRequestException ex) when (ex.ErrorCode == 409)
            {
                wait = backoff.Next();
                LogConflict(logger, ex.Message, (long)wait.Value.TotalMilliseconds);
            }
            catch (Exception ex)
            {
                wait = backoff.Next();
                LogPollFailed(logger, (long)wait.Value.TotalMilliseconds, ex);
            }

            if (wait is { } delay)
            {
                await DelayAsync(delay, stoppingToken);
            }
        }
    }

    private async Task ProcessAsync(Update update, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<BotUpdateProcessor>().ProcessAsync(update, cancellationToken);
    }

    private async Task SweepPeriodicallyAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, time);
        do
        {
            try
            {
                await SweepIfDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SweepIfDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now < _nextSweepAt)
        {
            return;
        }

        _nextSweepAt = now + SweepInterval;
        await BotUpdateProcessor.SweepAsync(dataSource, now - options.Value.UpdateRetention, cancellationToken);
    }

    /// <summary>
    /// True while this instance holds the poller lock (taken, or re-taken after its connection died).
    /// The lock's connection only ever runs short commands under their own timeout, never the
    /// stopping token: a cancellation racing a finished command could hit the next one on that session.
    /// </summary>
    private async Task<bool> EnsureLeaderAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var timeout = new CancellationTokenSource(LockCommandTimeout);
        if (_leaderConnection is { State: System.Data.ConnectionState.Open })
        {
            try
            {
                await using var ping = new NpgsqlCommand("SELECT 1", _leaderConnection);
                await ping.ExecuteScalarAsync(timeout.Token);
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or OperationCanceledException)
            {
                // The connection, and the lock with it, is gone: compete again.
            }
        }

        await ReleaseLeadershipAsync();
        var connection = await dataSource.OpenConnectionAsync(timeout.Token);
        try
        {
            await using var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({PollerLockKey})", connection);
            if ((bool)(await tryLock.ExecuteScalarAsync(timeout.Token))!)
            {
                _leaderConnection = connection;
                connection = null;
                LogLeader(logger);
                return true;
            }

            return false;
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Unlocks explicitly before handing the connection back: a pooled connection stays open (and a
    /// session lock with it) until the pool reuses or prunes it, which would keep another instance
    /// from taking over.
    /// </summary>
    private async Task ReleaseLeadershipAsync()
    {
        // Taken atomically: the host may stop its services more than once, concurrently.
        var connection = Interlocked.Exchange(ref _leaderConnection, null);
        if (connection is null)
        {
            return;
        }

        if (await AdvisoryLocks.ReleaseAsync(connection, PollerLockKey) is { } failure)
        {
            LogUnlockFailed(logger, failure);
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the caller's loop sees the token.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram:Mode is {Mode} but Telegram:BotToken is not set: the bot is disabled")]
    private static partial void LogNoToken(ILogger logger, TelegramMode mode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram bot @{Username} started in {Mode} mode")]
    private static partial void LogStarted(ILogger logger, string username, TelegramMode mode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Telegram bot start-up failed; retrying in {DelayMs} ms")]
    private static partial void LogStartUpFailed(ILogger logger, long delayMs, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "This instance now polls Telegram for updates")]
    private static partial void LogLeader(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram asked the poller to slow down; waiting {DelayMs} ms")]
    private static partial void LogRateLimited(ILogger logger, long delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Telegram refused getUpdates with a conflict (another poller with this token, or a webhook is set): {Detail}; backing off {DelayMs} ms")]
    private static partial void LogConflict(ILogger logger, string detail, long delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling Telegram failed; retrying in {DelayMs} ms")]
    private static partial void LogPollFailed(ILogger logger, long delayMs, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping old Telegram update ids failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing the Telegram poller lock failed")]
    private static partial void LogUnlockFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The Telegram bot loop stopped unexpectedly")]
    private static partial void LogStopped(ILogger logger, Exception exception);
}

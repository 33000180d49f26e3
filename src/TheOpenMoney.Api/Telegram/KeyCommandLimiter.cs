using TheOpenMoney.Api.Infrastructure.RateLimiting;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// The cooldown on the key commands (<c>/api</c>, <c>/apitest</c>, <c>/revoke</c>, <c>/revoketest</c>): at most
/// <see cref="TelegramOptions.KeyCommandsPerWindow"/> per Telegram user (<c>from.id</c>) per
/// <see cref="TelegramOptions.KeyCommandsWindow"/> (a fixed window), counted across all instances
/// (<see cref="SharedQuotaCounters"/>): in Webhook mode Telegram may hand a user's updates to any instance. A limit
/// this small is leased one permit at a time, so it is exact however many instances there are.
/// </summary>
public sealed class KeyCommandLimiter(SharedQuotaCounters counters, IOptions<TelegramOptions> options)
{
    /// <summary>Takes one permit: allowed, or over the limit and how long until the window ends.</summary>
    public async ValueTask<(bool Allowed, TimeSpan RetryAfter)> TryAcquireAsync(long telegramUserId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var decision = await counters.TryTakeAsync(
            [new Quota("bot-key:" + telegramUserId.ToString(CultureInfo.InvariantCulture), settings.KeyCommandsPerWindow)],
            settings.KeyCommandsWindow,
            cancellationToken);
        return (decision.Allowed, decision.RetryAfter);
    }
}

using Telegram.Bot;
using Telegram.Bot.Types.Enums;
using TheOpenMoney.Api.Infrastructure;
using TheOpenMoney.Api.Webhooks;

namespace TheOpenMoney.Api.Telegram;

/// <summary>Tells a partner something in their private chat with the bot; without a bot, or when Telegram refuses, it is logged and dropped.</summary>
public sealed partial class TelegramPartnerNotifier(
    IServiceScopeFactory scopes,
    IOptions<TelegramOptions> options,
    ILogger<TelegramPartnerNotifier> logger) : IPartnerNotifier
{
    public async Task NotifyAsync(long partnerId, string text, CancellationToken cancellationToken)
    {
        if (options.Value.EffectiveMode == TelegramMode.Disabled)
        {
            LogNoBot(logger, partnerId);
            return;
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var chat = await db.Partners.AsNoTracking().Where(p => p.Id == partnerId).Select(p => (long?)p.TelegramUserId).FirstOrDefaultAsync(cancellationToken);
            if (chat is { } chatId)
            {
                await scope.ServiceProvider.GetRequiredService<ITelegramBotClient>().SendMessage(chatId, HtmlText.Escape(text), ParseMode.Html, cancellationToken: cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, partnerId, FailureKind.Of(ex));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No bot to tell partner {PartnerId} about their webhook endpoint")]
    private static partial void LogNoBot(ILogger logger, long partnerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling partner {PartnerId} through the bot failed ({FailureKind})")]
    private static partial void LogFailed(ILogger logger, long partnerId, string failureKind);
}

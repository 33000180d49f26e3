using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// The <c>bot</c> component of health: the mode (and why it is disabled), the bot's username, the
/// last successful Bot API call and the kind of the last error (<see cref="BotErrorKind"/>, never its
/// text). Degraded when the Bot API failed (transport, 5xx, 429, 401, 409; not a 400/403 about one
/// chat) after the last success, when the bot has not reached the Bot API yet, or when the poller has
/// not succeeded for a while.
/// </summary>
public sealed class BotHealthCheck(BotStatus status, JobStatusRegistry jobs, IOptions<TelegramOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var mode = settings.EffectiveMode;
        var data = new Dictionary<string, object> { ["mode"] = ModeText(mode) };
        if (mode == TelegramMode.Disabled)
        {
            data["reason"] = "Telegram:BotToken is not set";
            return Task.FromResult(HealthCheckResult.Healthy("disabled: no bot token", data));
        }

        var now = time.GetUtcNow();
        var snapshot = status.Snapshot();
        var pollingLeader = jobs.Get<TelegramUpdatePoller>().IsLeader;
        // Null values are reported as JSON null, so the fields are always present.
        data["bot_username"] = snapshot.Username!;
        data["last_success_at"] = snapshot.LastSuccessAt!;
        data["last_error_at"] = snapshot.LastErrorAt!;
        // The kind only (rate_limited, server_error …): the details are in the log.
        data["last_error"] = snapshot.LastError?.ToText()!;
        if (mode == TelegramMode.Polling)
        {
            data["polling_leader"] = pollingLeader;
        }

        string? problem = null;
        if (snapshot.LastServiceErrorAt is { } failedAt && (snapshot.LastSuccessAt is not { } succeededAt || failedAt > succeededAt))
        {
            problem = "the last Bot API call failed";
        }
        else if (snapshot.LastSuccessAt is null)
        {
            problem = "not connected to the Bot API yet";
        }
        else if (mode == TelegramMode.Polling && pollingLeader
                 && now - snapshot.LastSuccessAt.Value > settings.LongPollTimeout + settings.RequestTimeout + TimeSpan.FromMinutes(1))
        {
            problem = "no successful getUpdates recently";
        }

        return Task.FromResult(problem is null ? HealthCheckResult.Healthy(data: data) : HealthCheckResult.Degraded(problem, data: data));
    }

    private static string ModeText(TelegramMode mode) => mode switch
    {
        TelegramMode.Polling => "polling",
        TelegramMode.Webhook => "webhook",
        _ => "disabled",
    };
}

using TheOpenMoney.Api.Infrastructure.Cli;

namespace TheOpenMoney.Api.Balance;

/// <summary>
/// <c>balance credit --telegram-user-id N --amount-ton X --ref REF [--description TEXT]</c>: an operator
/// adjustment, applied once per <c>--ref</c> (re-running it changes nothing); prints the balance after.
/// </summary>
public sealed class BalanceCreditCommand : IOperatorCommand
{
    public string Verb => "balance credit";

    public string Usage => "balance credit --telegram-user-id N --amount-ton X --ref REF [--description TEXT]";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!line.TryTelegramUserId(out var telegramUserId) || !line.TryTonAmount("amount-ton", out var amountNanoton) || line.Get("ref") is not { } reference)
        {
            return OperatorCommandLine.BadUsage;
        }

        var db = services.GetRequiredService<AppDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        long? partnerId;
        await using (var find = db.Command("SELECT id FROM partners WHERE telegram_user_id = $1 AND livemode", telegramUserId))
        {
            partnerId = await find.ExecuteScalarAsync(cancellationToken) as long?;
        }

        if (partnerId is null)
        {
            await stderr.WriteLineAsync("no partner for that Telegram user; create a key first");
            return 1;
        }

        var (applied, balance) = await services.GetRequiredService<BalanceLedger>().AdjustOnceAsync(
            partnerId.Value, amountNanoton, reference, line.Get("description") ?? $"operator adjustment {reference}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await stderr.WriteLineAsync(applied ? "credited" : "already applied (same --ref); nothing changed");
        await stdout.WriteLineAsync(TonAmount.FromNano(balance).ToString(CultureInfo.InvariantCulture));
        return 0;
    }
}

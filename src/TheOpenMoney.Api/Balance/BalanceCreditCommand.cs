using TheOpenMoney.Api.Infrastructure.Cli;

namespace TheOpenMoney.Api.Balance;

/// <summary>
/// <c>balance credit --telegram-user-id N (--amount-ton X | --amount-usdt X) --ref REF [--description TEXT]</c>: an
/// operator adjustment of the TON or the USDT balance, applied once per <c>--ref</c> (re-running it changes nothing);
/// prints that balance after.
/// </summary>
public sealed class BalanceCreditCommand : IOperatorCommand
{
    public string Verb => "balance credit";

    public string Usage => "balance credit --telegram-user-id N (--amount-ton X | --amount-usdt X) --ref REF [--description TEXT]";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var currency = line.Get("amount-usdt") is null ? PaymentCurrencies.Ton : PaymentCurrencies.Usdt;
        if (!line.TryTelegramUserId(out var telegramUserId) || line.Get("ref") is not { } reference
            || (currency == PaymentCurrencies.Usdt && line.Get("amount-ton") is not null)
            || !line.TryAmount(currency == PaymentCurrencies.Usdt ? "amount-usdt" : "amount-ton", currency, out var amount))
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
            partnerId.Value, currency, amount, reference, line.Get("description") ?? $"operator adjustment {reference}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await stderr.WriteLineAsync(applied ? "credited" : "already applied (same --ref); nothing changed");
        await stdout.WriteLineAsync(PaymentCurrencies.Coins(currency, balance).ToString(CultureInfo.InvariantCulture));
        return 0;
    }
}

using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure;

namespace TheOpenMoney.Api.Partners;

/// <summary>
/// Operator verbs in the API binary:
/// <c>migrate</c>; <c>keys create --telegram-user-id N [--username U]</c> (prints only the key);
/// <c>keys revoke --telegram-user-id N</c>. Logs go to stderr so stdout carries only the result.
/// </summary>
public sealed class OperatorCli
{
    private const string Usage =
        """
        usage:
          TheOpenMoney.Api migrate
          TheOpenMoney.Api keys create --telegram-user-id N [--username U]
          TheOpenMoney.Api keys revoke --telegram-user-id N
          TheOpenMoney.Api balance credit --telegram-user-id N --amount-ton X --ref REF [--description TEXT]
          TheOpenMoney.Api deposits quarantined [--limit N]
          TheOpenMoney.Api deposits retry --id N
        """;

    private readonly string _verb;
    private readonly Dictionary<string, string> _options;

    private OperatorCli(string verb, Dictionary<string, string> options)
    {
        _verb = verb;
        _options = options;
    }

    /// <summary>The CLI when <paramref name="args"/> start with one of its verbs, else null (serve the API).</summary>
    public static OperatorCli? TryParse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0)
        {
            return null;
        }

        string verb;
        int rest;
        if (args[0] == "migrate")
        {
            (verb, rest) = ("migrate", 1);
        }
        else if (args[0] is "keys" or "balance" or "deposits")
        {
            (verb, rest) = (args.Length > 1 ? $"{args[0]} {args[1]}" : args[0], 2);
        }
        else
        {
            return null;
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = rest; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                options[args[i][2..]] = args[++i];
            }
            else
            {
                options["?" + args[i]] = args[i];
            }
        }

        return new OperatorCli(verb, options);
    }

    public async Task<int> RunAsync(IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (_options.Keys.Any(k => k.StartsWith('?')))
        {
            await stderr.WriteLineAsync(Usage);
            return 2;
        }

        await using var scope = services.CreateAsyncScope();
        var migrator = scope.ServiceProvider.GetRequiredService<Migrator>();
        switch (_verb)
        {
            case "migrate":
                var applied = await migrator.MigrateAsync(cancellationToken);
                await stderr.WriteLineAsync($"migrations applied: {applied}");
                return 0;
            case "keys create" when TryTelegramUserId(out var userId):
                await migrator.MigrateAsync(cancellationToken);
                var keys = scope.ServiceProvider.GetRequiredService<PartnerKeyService>();
                var issued = await keys.IssueAsync(userId, _options.GetValueOrDefault("username"), cancellationToken);
                await stdout.WriteLineAsync(issued.Plaintext);
                return 0;
            case "keys revoke" when TryTelegramUserId(out var userId):
                await migrator.MigrateAsync(cancellationToken);
                var revoked = await scope.ServiceProvider.GetRequiredService<PartnerKeyService>().RevokeAsync(userId, cancellationToken);
                await stderr.WriteLineAsync(revoked > 0 ? "key revoked" : "no active key for that partner");
                return 0;
            case "balance credit" when TryTelegramUserId(out var userId) && TryAmount(out var amount) && _options.TryGetValue("ref", out var reference):
                await migrator.MigrateAsync(cancellationToken);
                return await CreditAsync(scope.ServiceProvider, userId, amount, reference, stdout, stderr, cancellationToken);
            case "deposits quarantined":
                await migrator.MigrateAsync(cancellationToken);
                return await ListQuarantinedAsync(scope.ServiceProvider, stdout, cancellationToken);
            case "deposits retry" when long.TryParse(_options.GetValueOrDefault("id"), NumberStyles.None, CultureInfo.InvariantCulture, out var quarantineId):
                await migrator.MigrateAsync(cancellationToken);
                var (released, message) = await scope.ServiceProvider.GetRequiredService<Payments.DepositIntake>().RetryAsync(quarantineId, cancellationToken);
                await (released ? stdout : stderr).WriteLineAsync(message);
                return released ? 0 : 1;
            default:
                await stderr.WriteLineAsync(Usage);
                return 2;
        }
    }

    /// <summary>
    /// One line per held row: id, tx_hash, amount, times seen, first seen, reason, and the start of its raw
    /// bytes with everything but printable ASCII escaped (a payer's comment can hold terminal escape codes).
    /// </summary>
    private async Task<int> ListQuarantinedAsync(IServiceProvider services, TextWriter stdout, CancellationToken cancellationToken)
    {
        var limit = int.TryParse(_options.GetValueOrDefault("limit"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 100;
        var held = await services.GetRequiredService<Payments.DepositQuarantine>().ListHeldAsync(limit, cancellationToken);
        foreach (var row in held)
        {
            var amount = row.AmountNanoton is { } nano ? Ton.FromNano(nano).ToString(CultureInfo.InvariantCulture) + " TON" : "amount unreadable";
            await stdout.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{row.Id}\t{row.TxHash ?? "-"}\t{amount}\tseen {row.SeenCount}x via {row.ReceivedVia}\tsince {row.FirstSeenAt:yyyy-MM-ddTHH:mm:ssZ}\t{row.Reason}\t{Payments.DepositQuarantine.Preview(row.Raw)}"));
        }

        return 0;
    }

    /// <summary>An operator adjustment, applied once per <c>--ref</c> (re-running it changes nothing).</summary>
    private async Task<int> CreditAsync(
        IServiceProvider services, long telegramUserId, long amountNanoton, string reference, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var partnerId = await services.GetRequiredService<PartnerKeyService>().FindPartnerIdAsync(telegramUserId, cancellationToken);
        if (partnerId is null)
        {
            await stderr.WriteLineAsync("no partner for that Telegram user; create a key first");
            return 1;
        }

        var db = services.GetRequiredService<AppDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (applied, balance) = await services.GetRequiredService<BalanceLedger>().AdjustOnceAsync(
            partnerId.Value, amountNanoton, reference, _options.GetValueOrDefault("description") ?? $"operator adjustment {reference}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await stderr.WriteLineAsync(applied ? "credited" : "already applied (same --ref); nothing changed");
        await stdout.WriteLineAsync(Ton.FromNano(balance).ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    private bool TryAmount(out long nanoton)
    {
        nanoton = 0;
        if (!decimal.TryParse(_options.GetValueOrDefault("amount-ton"), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ton)
            || ton == 0 || decimal.Round(ton, 9) != ton)
        {
            return false;
        }

        nanoton = Ton.ToNano(ton);
        return true;
    }

    private bool TryTelegramUserId(out long userId) =>
        long.TryParse(_options.GetValueOrDefault("telegram-user-id"), NumberStyles.None, CultureInfo.InvariantCulture, out userId) && userId > 0;
}

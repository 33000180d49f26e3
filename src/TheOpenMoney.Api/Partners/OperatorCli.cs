using System.Globalization;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure;
using TheOpenMoney.Api.Infrastructure.Data;

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
        else if (args[0] is "keys" or "balance")
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
            default:
                await stderr.WriteLineAsync(Usage);
                return 2;
        }
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

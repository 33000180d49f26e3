namespace TheOpenMoney.Api.Infrastructure.Cli;

/// <summary>
/// Operator verbs in the API binary (<c>dotnet TheOpenMoney.Api.dll keys create …</c>): the machinery only.
/// Each feature brings its own commands (<see cref="IOperatorCommand"/>, registered with
/// <see cref="OperatorCommandSetup.AddOperatorCommand{TCommand}"/>); this finds the one the arguments name,
/// applies pending migrations first (except for <c>migrate</c> itself), and runs it in a scope of its own.
/// Logs go to stderr so stdout carries only the result. A verb it does not know, or a command that finds
/// its options wrong, prints the usage of every command to stderr and exits 2.
/// </summary>
public sealed class OperatorCli
{
    private readonly string[] _args;

    private OperatorCli(string[] args) => _args = args;

    /// <summary>
    /// The CLI when <paramref name="args"/> start with a verb (a lower-case word: <c>migrate</c>, <c>keys</c> …),
    /// else null: serve the API (its own arguments start with <c>--</c> or hold <c>=</c>).
    /// </summary>
    public static OperatorCli? TryParse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.Length > 0 && args[0].Length > 0 && args[0].All(char.IsAsciiLetterLower) ? new OperatorCli(args) : null;
    }

    public async Task<int> RunAsync(IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var commands = services.GetServices<IOperatorCommand>().ToList();
        // The longest verb the arguments start with ("deposits retry" before "deposits").
        var command = commands
            .Where(c => Matches(c.Verb))
            .MaxBy(c => c.Verb.Split(' ').Length);
        var line = command is null ? null : OperatorCommandLine.Parse(_args[command.Verb.Split(' ').Length..]);
        if (command is null || line is null)
        {
            await WriteUsageAsync(commands, stderr);
            return OperatorCommandLine.BadUsage;
        }

        await using var scope = services.CreateAsyncScope();
        if (command is not MigrateCommand)
        {
            await scope.ServiceProvider.GetRequiredService<Migrator>().MigrateAsync(cancellationToken);
        }

        var code = await command.RunAsync(line, scope.ServiceProvider, stdout, stderr, cancellationToken);
        if (code == OperatorCommandLine.BadUsage)
        {
            await WriteUsageAsync(commands, stderr);
        }

        return code;
    }

    private bool Matches(string verb)
    {
        var words = verb.Split(' ');
        return _args.Length >= words.Length && words.Select((word, i) => _args[i] == word).All(same => same);
    }

    private static async Task WriteUsageAsync(IEnumerable<IOperatorCommand> commands, TextWriter stderr)
    {
        var usage = new StringBuilder("usage:\n");
        foreach (var command in commands.OrderBy(c => c.Verb, StringComparer.Ordinal))
        {
            usage.Append("  TheOpenMoney.Api ").Append(command.Usage).Append('\n');
        }

        await stderr.WriteAsync(usage.ToString());
    }
}

/// <summary>One operator verb, kept with the feature it serves.</summary>
public interface IOperatorCommand
{
    /// <summary>The words that name it (<c>keys create</c>).</summary>
    string Verb { get; }

    /// <summary>The verb with its options, for the usage text (<c>keys create --telegram-user-id N [--username U]</c>).</summary>
    string Usage { get; }

    /// <summary>Runs it in a scope of its own (migrations applied); <see cref="OperatorCommandLine.BadUsage"/> when its options are wrong.</summary>
    Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken);
}

/// <summary>The <c>--name value</c> options after a verb, and the value-less switches (<c>--test</c>), read strictly (no stray words).</summary>
public sealed class OperatorCommandLine
{
    /// <summary>The exit status of a command given wrong options (the usage is printed).</summary>
    public const int BadUsage = 2;

    /// <summary>The options that take no value.</summary>
    private static readonly HashSet<string> Switches = new(["test"], StringComparer.Ordinal);

    private readonly Dictionary<string, string> _options;

    private OperatorCommandLine(Dictionary<string, string> options) => _options = options;

    /// <summary>The options, or null when a word is not a <c>--name value</c> pair.</summary>
    public static OperatorCommandLine? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && Switches.Contains(args[i][2..]))
            {
                options[args[i][2..]] = "true";
                continue;
            }

            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                return null;
            }

            options[args[i][2..]] = args[++i];
        }

        return new OperatorCommandLine(options);
    }

    public string? Get(string name) => _options.GetValueOrDefault(name);

    /// <summary>True when the switch <c>--name</c> was given.</summary>
    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>A whole number above zero in plain digits.</summary>
    public bool TryPositive(string name, out long value) =>
        long.TryParse(Get(name), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;

    /// <summary><c>--telegram-user-id N</c>.</summary>
    public bool TryTelegramUserId(out long userId) => TryPositive("telegram-user-id", out userId);

    /// <summary>A TON amount (≠ 0, at most 9 fraction digits) as nanoTON.</summary>
    public bool TryTonAmount(string name, out long nanoton) => TryAmount(name, PaymentCurrencies.Ton, out nanoton);

    /// <summary>A non-zero amount of <paramref name="currency"/> (signed, at most its decimals, within <see cref="long"/> base units) in base units.</summary>
    public bool TryAmount(string name, string currency, out long units)
    {
        units = 0;
        if (!decimal.TryParse(Get(name), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var coins)
            || coins == 0 || decimal.Round(coins, PaymentCurrencies.Decimals(currency)) != coins || Math.Abs(coins) > 1_000_000_000m)
        {
            return false;
        }

        units = PaymentCurrencies.Units(currency, coins);
        return true;
    }
}

/// <summary><c>migrate</c>: applies pending migrations and says how many.</summary>
public sealed class MigrateCommand : IOperatorCommand
{
    public string Verb => "migrate";

    public string Usage => "migrate";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        var applied = await services.GetRequiredService<Migrator>().MigrateAsync(cancellationToken);
        await stderr.WriteLineAsync($"migrations applied: {applied}");
        return 0;
    }
}

public static class OperatorCommandSetup
{
    /// <summary>Adds an operator verb (a feature's own command).</summary>
    public static IServiceCollection AddOperatorCommand<TCommand>(this IServiceCollection services)
        where TCommand : class, IOperatorCommand =>
        services.AddSingleton<IOperatorCommand, TCommand>();
}

using TheOpenMoney.Api.Infrastructure.Cli;

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// <c>deposits quarantined [--limit N]</c>: one line per held row — id, tx_hash, amount, times seen, first
/// seen, reason, and the start of its raw bytes with everything but printable ASCII escaped (a payer's
/// comment can hold terminal escape codes).
/// </summary>
public sealed class DepositsQuarantinedCommand : IOperatorCommand
{
    public string Verb => "deposits quarantined";

    public string Usage => "deposits quarantined [--limit N]";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(stdout);
        var limit = line.TryPositive("limit", out var n) ? (int)Math.Min(n, 100_000) : 100;
        var held = await services.GetRequiredService<DepositQuarantine>().ListHeldAsync(limit, cancellationToken);
        foreach (var row in held)
        {
            var amount = row.AmountNanoton is { } nano ? TonAmount.FromNano(nano).ToString(CultureInfo.InvariantCulture) + " TON" : "amount unreadable";
            await stdout.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{row.Id}\t{row.TxHash ?? "-"}\t{amount}\tseen {row.SeenCount}x via {row.ReceivedVia}\tsince {row.FirstSeenAt:yyyy-MM-ddTHH:mm:ssZ}\t{row.Reason}\t{DepositQuarantine.Preview(row.Raw)}"));
        }

        return 0;
    }
}

/// <summary><c>deposits retry --id N</c>: a held row read again and applied through the intake like any deposit (after a fix).</summary>
public sealed class DepositsRetryCommand : IOperatorCommand
{
    public string Verb => "deposits retry";

    public string Usage => "deposits retry --id N";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!line.TryPositive("id", out var quarantineId))
        {
            return OperatorCommandLine.BadUsage;
        }

        var (released, message) = await services.GetRequiredService<DepositIntake>().RetryAsync(quarantineId, cancellationToken);
        await (released ? stdout : stderr).WriteLineAsync(message);
        return released ? 0 : 1;
    }
}

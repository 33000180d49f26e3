using TheOpenMoney.Api.Infrastructure.Cli;

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// <c>deposits unmatched [--limit N]</c>: unmatched live deposits still held (not refunded; test mode's simulated ones are nobody's money and not listed), oldest first — id,
/// tx_hash, amount, sender, when, what is decided (none, keep, refunding, refund_failed, unrefundable), and the
/// comment's start with everything but printable ASCII escaped.
/// </summary>
public sealed class DepositsUnmatchedCommand : IOperatorCommand
{
    public string Verb => "deposits unmatched";

    public string Usage => "deposits unmatched [--limit N]";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(stdout);
        var limit = line.TryPositive("limit", out var n) ? (int)Math.Min(n, 100_000) : 100;
        await using var command = services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            """
            SELECT id, tx_hash, unmatched_nanoton, source_address, applied_at, coalesce(decision, 'none'), coalesce(comment, ''), currency
              FROM deposits WHERE kind = 'unmatched' AND unmatched_nanoton > 0 AND livemode ORDER BY applied_at, id LIMIT $1
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            await stdout.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{reader.GetInt64(0)}\t{reader.GetString(1)}\t{PaymentCurrencies.Coins(reader.GetString(7), reader.GetInt64(2))} {reader.GetString(7)}\tfrom {(reader.IsDBNull(3) ? "-" : reader.GetString(3))}\tsince {reader.GetFieldValue<DateTimeOffset>(4):yyyy-MM-ddTHH:mm:ssZ}\t{reader.GetString(5)}\t{DepositQuarantine.Preview(Encoding.UTF8.GetBytes(reader.GetString(6)))}"));
        }

        return 0;
    }
}

/// <summary>
/// <c>deposits assign --tx-hash H --order-id N</c>: an unmatched deposit applied to that order as if its memo had
/// matched (the order's own rules: paid, partial, or credited late); refused for one already decided.
/// </summary>
public sealed class DepositsAssignCommand : IOperatorCommand
{
    public string Verb => "deposits assign";

    public string Usage => "deposits assign --tx-hash H --order-id N";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (line.Get("tx-hash") is not { Length: > 0 and <= 128 } txHash || !line.TryPositive("order-id", out var orderId))
        {
            return OperatorCommandLine.BadUsage;
        }

        await using var command = services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT r_kind, r_refused FROM assign_unmatched_deposit($1, $2, $3)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = txHash });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = orderId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = services.GetRequiredService<TimeProvider>().GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (!reader.IsDBNull(1))
        {
            await stderr.WriteLineAsync("refused: " + reader.GetString(1));
            return 1;
        }

        await stdout.WriteLineAsync("applied as " + reader.GetString(0));
        return 0;
    }
}

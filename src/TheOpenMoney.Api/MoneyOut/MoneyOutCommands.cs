using TheOpenMoney.Api.Infrastructure.Cli;
using TheOpenMoney.Api.Payments;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary><c>reconcile</c>: both checks of the closed book once; the report on stdout; exit 0 when everything matches, 1 otherwise.</summary>
public sealed class ReconcileCommand : IOperatorCommand
{
    public string Verb => "reconcile";

    public string Usage => "reconcile";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var report = await services.GetRequiredService<Reconciler>().RunAsync(cancellationToken);
        await stdout.WriteAsync(report.Describe());
        return report.AllClear ? 0 : 1;
    }
}

/// <summary>
/// <c>deposits refund --tx-hash H [--to ADDRESS]</c>: an unmatched deposit sent back now (minus
/// <c>Refunds:NetworkFeeTon</c>), to its sender or to the address given; refused for a deposit already
/// assigned, kept, refunding or refunded (one whose refund failed, or whose sender could not be read, may be).
/// </summary>
public sealed class DepositsRefundCommand : IOperatorCommand
{
    public string Verb => "deposits refund";

    public string Usage => "deposits refund --tx-hash H [--to ADDRESS]";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (line.Get("tx-hash") is not { Length: > 0 and <= 128 } txHash || (line.Get("to") is { } to && !TonAddress.IsValid(to)))
        {
            return OperatorCommandLine.BadUsage;
        }

        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        await using var find = dataSource.CreateCommand("SELECT id, source_address, currency FROM deposits WHERE tx_hash = $1 AND kind = 'unmatched'");
        find.Parameters.Add(new NpgsqlParameter<string> { TypedValue = txHash });
        long depositId;
        string? source;
        string currency;
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                await stderr.WriteLineAsync("no unmatched deposit with that tx_hash");
                return 1;
            }

            (depositId, source, currency) = (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2));
        }

        if (!services.GetRequiredService<ProcessorCurrencyNames>().Codes.Contains(currency))
        {
            await stderr.WriteLineAsync($"the deposit is in {currency}, which this server does not take (Payments:UsdtMaster is empty): nothing queued");
            return 1;
        }

        var destination = line.Get("to") ?? source;
        if (destination is null || !TonAddress.IsValid(destination))
        {
            await stderr.WriteLineAsync("the deposit has no sender address that can be read: give one with --to");
            return 1;
        }

        var (fee, _) = services.GetRequiredService<IOptions<RefundOptions>>().Value.InUnitsOf(currency);
        var refund = await services.GetRequiredService<WithdrawalLifecycle>().QueueRefundAsync(
            depositId, currency, fee, TonAddress.ToNonBounceable(destination), WithdrawalEngine.RefundComment(txHash), afterFailedRefund: true, cancellationToken);
        if (refund is null)
        {
            await stderr.WriteLineAsync("refused: the deposit was already assigned, kept, or refunded (or is being refunded), or holds no more than the fee");
            return 1;
        }

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"refund {refund.Id} queued: {refund.AmountText} to {refund.Destination} ({refund.QueryId})"));
        return 0;
    }
}

/// <summary><c>withdrawals link --id N --processor-id M</c>: the processor's id of a withdrawal it already had when asked again, so its outcome is followed.</summary>
public sealed class WithdrawalsLinkCommand : IOperatorCommand
{
    public string Verb => "withdrawals link";

    public string Usage => "withdrawals link --id N --processor-id M";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!line.TryPositive("id", out var id) || !line.TryPositive("processor-id", out var processorId))
        {
            return OperatorCommandLine.BadUsage;
        }

        if (services.GetService<ProcessorWithdrawals>() is not { } processor)
        {
            await stderr.WriteLineAsync("refused: no processor is configured (PaymentProcessor:BaseUrl)");
            return 1;
        }

        // Only the processor's own record of that id can say it is this withdrawal: its user_id and query_id.
        await using var find = services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT kind, query_id FROM withdrawals WHERE id = $1");
        find.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        string userId, queryId;
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                await stderr.WriteLineAsync("refused: no withdrawal with that id");
                return 1;
            }

            (userId, queryId) = (reader.GetString(0) == "refund" ? WithdrawalEngine.RefundsUserId : WithdrawalEngine.PartnerWithdrawalsUserId, reader.GetString(1));
        }

        var state = await processor.StatusAsync(processorId, cancellationToken);
        if (state is null || state.UserId != userId || state.QueryId != queryId)
        {
            await stderr.WriteLineAsync($"refused: the processor's withdrawal {processorId} is not {userId}/{queryId}");
            return 1;
        }

        if (!await services.GetRequiredService<WithdrawalLifecycle>().LinkProcessorIdAsync(id, processorId, cancellationToken))
        {
            await stderr.WriteLineAsync("refused: no sent withdrawal with that id whose processor id is unknown (or another has that processor id)");
            return 1;
        }

        await stdout.WriteLineAsync("linked");
        return 0;
    }
}

/// <summary><c>deposits keep --tx-hash H</c>: an unmatched deposit is never refunded; refused for one already decided.</summary>
public sealed class DepositsKeepCommand : IOperatorCommand
{
    public string Verb => "deposits keep";

    public string Usage => "deposits keep --tx-hash H";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (line.Get("tx-hash") is not { Length: > 0 and <= 128 } txHash)
        {
            return OperatorCommandLine.BadUsage;
        }

        if (!await services.GetRequiredService<WithdrawalLifecycle>().KeepAsync(txHash, cancellationToken))
        {
            await stderr.WriteLineAsync("refused: no undecided unmatched deposit with that tx_hash (already assigned, kept, or refunded)");
            return 1;
        }

        await stdout.WriteLineAsync("kept: it will not be refunded");
        return 0;
    }
}

using System.Diagnostics.Metrics;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>
/// Money out in numbers (meter <c>TheOpenMoney.MoneyOut</c>): every move of a withdrawal
/// (<c>tom.withdrawals.moves</c>, tags <c>kind</c> refund|partner and <c>to</c>), nanoTON sent out
/// (<c>tom.withdrawals.sent_nanoton</c>), the queue (<c>tom.withdrawals.waiting</c> by status,
/// <c>tom.withdrawals.oldest_waiting_age</c>), and the books (<c>tom.reconciliation.mismatch_nanoton</c>,
/// <c>tom.reconciliation.shortfall_nanoton</c>). No partner id is ever a label.
/// </summary>
public sealed class MoneyOutMetrics
{
    public const string MeterName = "TheOpenMoney.MoneyOut";

    private readonly Counter<long> _moves;
    private volatile MoneyOutState? _state;
    private volatile ReconciliationReport? _report;

    public MoneyOutMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _moves = meter.CreateCounter<long>("tom.withdrawals.moves", "{withdrawal}", "Withdrawal moves, by kind (refund, partner) and the status reached");
        meter.CreateObservableGauge<long>(
            "tom.withdrawals.waiting",
            () => _state is { } s
                ? s.Waiting.Select(w => new Measurement<long>(w.Value, new KeyValuePair<string, object?>("status", w.Key)))
                : [],
            "{withdrawal}",
            "Withdrawals waiting, by status (awaiting_confirmation, pending, sent)");
        meter.CreateObservableGauge<double>(
            "tom.withdrawals.oldest_waiting_age",
            () => _state is { } s ? [new Measurement<double>(s.OldestWaiting.TotalSeconds)] : [],
            "s",
            "How long the oldest confirmed withdrawal or refund has waited to be sent or completed");
        meter.CreateObservableGauge<long>(
            "tom.reconciliation.mismatch_nanoton",
            () => _report is { } r ? [new Measurement<long>(r.MismatchNanoton)] : [],
            "{nanoTON}",
            "Sum of the differences between the processor's income and our deposits that persisted over two runs");
        meter.CreateObservableGauge<long>(
            "tom.reconciliation.shortfall_nanoton",
            () => _report is { } r ? [new Measurement<long>(r.ShortfallNanoton)] : [],
            "{nanoTON}",
            "What we owe beyond what the processor holds (0 when solvent)");
    }

    public void Moved(WithdrawalTransition move, WithdrawalKind kind)
    {
        ArgumentNullException.ThrowIfNull(move);
        _moves.Add(
            1,
            new KeyValuePair<string, object?>("kind", EnumText<WithdrawalKind>.ToText(kind)),
            new KeyValuePair<string, object?>("to", WithdrawalMachine.Text(move.To)));
    }

    public void StateRead(MoneyOutState state) => _state = state;

    public void Reconciled(ReconciliationReport report) => _report = report;
}

/// <summary>
/// The withdrawal queue at a glance: how many wait in each status, and the oldest confirmed one not yet done. Live
/// withdrawals only: a test key's sandbox withdrawals (failed on purpose with .13) never move health or metrics.
/// </summary>
public sealed record MoneyOutState(IReadOnlyDictionary<string, long> Waiting, TimeSpan OldestWaiting, long FailedLastDay, long UnknownProcessorIds)
{
    public static async Task<MoneyOutState> ReadAsync(NpgsqlDataSource dataSource, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            """
            SELECT (SELECT count(*) FROM withdrawals WHERE status = 'awaiting_confirmation' AND livemode),
                   (SELECT count(*) FROM withdrawals WHERE status = 'pending'),
                   (SELECT count(*) FROM withdrawals WHERE status = 'sent'),
                   (SELECT min(coalesce(confirmed_at, created_at)) FROM withdrawals WHERE status IN ('pending', 'sent')),
                   (SELECT count(*) FROM withdrawals WHERE status = 'failed' AND failed_at > $1 AND livemode),
                   (SELECT count(*) FROM withdrawals WHERE status = 'sent' AND processor_id_unknown)
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now - TimeSpan.FromDays(1) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var oldest = reader.IsDBNull(3) ? TimeSpan.Zero : now - reader.GetFieldValue<DateTimeOffset>(3);
        return new MoneyOutState(
            new Dictionary<string, long>
            {
                ["awaiting_confirmation"] = reader.GetInt64(0),
                ["pending"] = reader.GetInt64(1),
                ["sent"] = reader.GetInt64(2),
            },
            oldest < TimeSpan.Zero ? TimeSpan.Zero : oldest,
            reader.GetInt64(4),
            reader.GetInt64(5));
    }
}

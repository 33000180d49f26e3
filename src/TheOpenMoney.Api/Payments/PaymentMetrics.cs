using System.Diagnostics.Metrics;

namespace TheOpenMoney.Api.Payments;

/// <summary>Payment metrics (System.Diagnostics.Metrics, meter <c>TheOpenMoney.Payments</c>).</summary>
public sealed class PaymentMetrics : IDisposable
{
    public const string MeterName = "TheOpenMoney.Payments";

    private readonly Meter _meter;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _appliedNanoton;
    private readonly Histogram<double> _pollDuration;
    private readonly Histogram<double> _matchingLag;
    private readonly Counter<long> _pollFailures;
    private readonly Counter<long> _quarantined;
    private readonly Counter<long> _quarantinedNanoton;
    private readonly Counter<long> _webhookDeposits;

    private long _syncedToUnixMs = long.MinValue;

    public PaymentMetrics(IMeterFactory meters, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(time);
        _meter = meters.Create(MeterName);
        _meter.CreateObservableGauge<double>(
            "tom.poll.cursor_age",
            () =>
            {
                var syncedTo = Interlocked.Read(ref _syncedToUnixMs);
                return syncedTo == long.MinValue
                    ? Array.Empty<Measurement<double>>()
                    : [new Measurement<double>((time.GetUtcNow().ToUnixTimeMilliseconds() - syncedTo) / 1000.0)];
            },
            "s",
            "How far behind now the poller's synced_to is: every deposit dated before it has been read (orders history)");
        _applied = _meter.CreateCounter<long>("tom.deposits.applied", "{deposit}", "Deposits applied, by kind");
        _appliedNanoton = _meter.CreateCounter<long>("tom.deposits.applied_nanoton", "{nanoTON}", "nanoTON received, by kind");
        _pollDuration = _meter.CreateHistogram<double>("tom.poll.duration", "ms", "Duration of one poll of the processor");
        _matchingLag = _meter.CreateHistogram<double>("tom.deposits.matching_lag", "s", "From the deposit's chain time to its application");
        _pollFailures = _meter.CreateCounter<long>("tom.poll.failures", "{poll}", "Polls that failed");
        _quarantined = _meter.CreateCounter<long>("tom.deposits.quarantined", "{deposit}", "Processor rows held in quarantine (unreadable, or refused by the database too often)");
        _quarantinedNanoton = _meter.CreateCounter<long>("tom.deposits.quarantined_nanoton", "{nanoTON}", "nanoTON of quarantined rows whose amount could be read");
        _webhookDeposits = _meter.CreateCounter<long>("tom.webhook.deposits", "{push}", "Processor webhook pushes, by what the processor confirmed (applied, known, stored, unknown, deferred, quarantined)");
    }

    /// <summary>One applied deposit, by kind and mode (<c>live</c>, or <c>test</c> for test mode's simulated money, which operators keep apart).</summary>
    public void DepositApplied(string kind, long nanoton, TimeSpan lag, bool livemode = true)
    {
        var kindTag = new KeyValuePair<string, object?>("kind", kind);
        var modeTag = new KeyValuePair<string, object?>("mode", livemode ? "live" : "test");
        _applied.Add(1, kindTag, modeTag);
        _appliedNanoton.Add(nanoton, kindTag, modeTag);
        _matchingLag.Record(Math.Max(0, lag.TotalSeconds), kindTag, modeTag);
    }

    public void PollCompleted(TimeSpan duration) => _pollDuration.Record(duration.TotalMilliseconds);

    public void PollFailed() => _pollFailures.Add(1);

    /// <summary>The orders history's synced_to after a poll (for <c>tom.poll.cursor_age</c>).</summary>
    public void RecordSyncedTo(DateTimeOffset syncedTo) => Interlocked.Exchange(ref _syncedToUnixMs, syncedTo.ToUnixTimeMilliseconds());

    public void DepositQuarantined(long? nanoton)
    {
        _quarantined.Add(1);
        if (nanoton is { } amount)
        {
            _quarantinedNanoton.Add(amount);
        }
    }

    public void WebhookDeposit(string status) => _webhookDeposits.Add(1, new KeyValuePair<string, object?>("status", status));

    public void Dispose() => _meter.Dispose();
}

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

    public PaymentMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _applied = _meter.CreateCounter<long>("tom.deposits.applied", "{deposit}", "Deposits applied, by kind");
        _appliedNanoton = _meter.CreateCounter<long>("tom.deposits.applied_nanoton", "nanoTON", "nanoTON received, by kind");
        _pollDuration = _meter.CreateHistogram<double>("tom.poll.duration", "ms", "Duration of one poll of the processor");
        _matchingLag = _meter.CreateHistogram<double>("tom.deposits.matching_lag", "s", "From the deposit's chain time to its application");
        _pollFailures = _meter.CreateCounter<long>("tom.poll.failures", "{poll}", "Polls that failed");
    }

    public void DepositApplied(string kind, long nanoton, TimeSpan lag)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _applied.Add(1, tag);
        _appliedNanoton.Add(nanoton, tag);
        _matchingLag.Record(Math.Max(0, lag.TotalSeconds), tag);
    }

    public void PollCompleted(TimeSpan duration) => _pollDuration.Record(duration.TotalMilliseconds);

    public void PollFailed() => _pollFailures.Add(1);

    public void Dispose() => _meter.Dispose();
}

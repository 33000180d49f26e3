using System.Diagnostics.Metrics;

namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>Rate-limit rejections (meter <c>TheOpenMoney.Api</c>, instrument <c>tom.rate_limit.rejections</c>, tag <c>limit</c>).</summary>
public sealed class RateLimitMetrics : IDisposable
{
    public const string MeterName = "TheOpenMoney.Api";

    private readonly Meter _meter;
    private readonly Counter<long> _rejections;

    public RateLimitMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _rejections = _meter.CreateCounter<long>("tom.rate_limit.rejections", "{request}", "Requests refused by a rate limit, by limit");
    }

    /// <param name="limit"><c>per_key</c>, <c>order_creation</c> or <c>failed_auth</c>.</param>
    public void Rejected(string limit) => _rejections.Add(1, new KeyValuePair<string, object?>("limit", limit));

    public void Dispose() => _meter.Dispose();
}

using System.Globalization;
using System.Security.Cryptography;

namespace TheOpenMoney.Simulators;

/// <summary>A TRP transaction remembered by the TonRamp fake.</summary>
/// <param name="TxId">The caller's tx_id, or a generated one.</param>
/// <param name="Wallet">Destination TON address (10-48 characters).</param>
/// <param name="Merchant">Merchant id (1-32 characters).</param>
/// <param name="Amount">Amount exactly as the caller wrote it (e.g. "100.00").</param>
/// <param name="Currency">BRL, USD, EUR or TON.</param>
/// <param name="Status">pending, paid, completed or expired.</param>
/// <param name="CreatedAt">When it was first generated.</param>
/// <param name="UpdatedAt">Last status change.</param>
public sealed record TonRampTransaction(
    string TxId,
    string Wallet,
    string Merchant,
    string Amount,
    string Currency,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>How the rate limiter and the injected failures let one request through.</summary>
public enum TonRampAdmission
{
    /// <summary>Within the limit; the route handles it.</summary>
    Accepted,

    /// <summary>Over the limit: answered 429 and counted as rejected.</summary>
    RateLimited,

    /// <summary>Within the limit but answered with an injected failure status.</summary>
    Failed,
}

/// <summary>
/// State of the TonRamp fake (seed 004): transactions, the moving-window rate limits,
/// per-route request timestamps and injected failures. All members are thread-safe (one lock).
/// </summary>
public sealed class TonRampState
{
    public const string GenerateRoute = "generate";
    public const string StatusRoute = "status";
    public const string PreferenceRoute = "preference";

    public const int GenerateLimitPerMinute = 30;
    public const int StatusLimitPerMinute = 60;
    public const int PreferenceLimitPerMinute = 10;

    public const string Pending = "pending";
    public const string Paid = "paid";
    public const string Completed = "completed";
    public const string Expired = "expired";

    /// <summary>Length of the moving window every limit is counted over.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(1);

    private static readonly string[] Statuses = [Pending, Paid, Completed, Expired];

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, RouteCounter> _routes = new(StringComparer.Ordinal)
    {
        [GenerateRoute] = new RouteCounter(GenerateLimitPerMinute),
        [StatusRoute] = new RouteCounter(StatusLimitPerMinute),
        [PreferenceRoute] = new RouteCounter(PreferenceLimitPerMinute),
    };

    private readonly Dictionary<string, TonRampTransaction> _transactions = new(StringComparer.Ordinal);
    private readonly InjectedFailures _failures = new(StatusCodes.Status503ServiceUnavailable);

    public TonRampState(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The three route names: "generate", "status", "preference".</summary>
    public static IReadOnlyList<string> Routes { get; } = [GenerateRoute, StatusRoute, PreferenceRoute];

    public int TransactionCount
    {
        get
        {
            lock (_gate)
            {
                return _transactions.Count;
            }
        }
    }

    /// <summary>Generate/status requests still to be answered with the injected failure.</summary>
    public int PendingFailures
    {
        get => _failures.Pending;
    }

    /// <summary>The per-minute limit of <paramref name="route"/>.</summary>
    public static int LimitOf(string route) => route switch
    {
        GenerateRoute => GenerateLimitPerMinute,
        StatusRoute => StatusLimitPerMinute,
        PreferenceRoute => PreferenceLimitPerMinute,
        _ => throw UnknownRoute(route),
    };

    /// <summary>Every request that reached <paramref name="route"/> (accepted, rejected or failed).</summary>
    public int Requests(string route)
    {
        lock (_gate)
        {
            return Counter(route).Arrivals.Count;
        }
    }

    /// <summary>Requests to <paramref name="route"/> answered 429.</summary>
    public int Rejected(string route)
    {
        lock (_gate)
        {
            return Counter(route).Rejected;
        }
    }

    /// <summary>Arrival times of every request to <paramref name="route"/>, oldest first.</summary>
    public IReadOnlyList<DateTimeOffset> RequestTimes(string route)
    {
        lock (_gate)
        {
            return Counter(route).Arrivals.Order().ToArray();
        }
    }

    /// <summary>
    /// The largest number of requests to <paramref name="route"/> (accepted, rejected or
    /// failed alike) that arrived within any span of <paramref name="window"/>, both ends
    /// included: the exact maximum over the recorded arrival times.
    /// </summary>
    public int MaxInAnyWindow(string route, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);
        DateTimeOffset[] times;
        lock (_gate)
        {
            times = [.. Counter(route).Arrivals];
        }

        Array.Sort(times);
        var max = 0;
        var start = 0;
        for (var end = 0; end < times.Length; end++)
        {
            while (times[end] - times[start] > window)
            {
                start++;
            }

            max = Math.Max(max, end - start + 1);
        }

        return max;
    }

    /// <summary>
    /// Records one request to <paramref name="route"/> and decides it: 429 when the route
    /// already accepted its limit within the last minute (a request exactly one minute old
    /// still counts), otherwise accepted — or, for generate/status, failed while injected
    /// failures are pending (<paramref name="failStatus"/>).
    /// </summary>
    public TonRampAdmission Admit(string route, out int failStatus)
    {
        lock (_gate)
        {
            var counter = Counter(route);
            var now = _time.GetUtcNow();
            counter.Arrivals.Add(now);
            while (counter.Accepted.Count > 0 && now - counter.Accepted.Peek() > RateWindow)
            {
                counter.Accepted.Dequeue();
            }

            failStatus = 0;
            if (counter.Accepted.Count >= counter.Limit)
            {
                counter.Rejected++;
                return TonRampAdmission.RateLimited;
            }

            counter.Accepted.Enqueue(now);
            if (route != PreferenceRoute && _failures.TryConsume(out failStatus))
            {
                return TonRampAdmission.Failed;
            }

            return TonRampAdmission.Accepted;
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> generate/status requests that pass the rate limit
    /// answer <paramref name="status"/> with {"detail": "unavailable"}. Replaces any pending.
    /// </summary>
    public void FailNext(int count, int status = StatusCodes.Status503ServiceUnavailable)
    {
        _failures.FailNext(count, status);
    }

    /// <summary>
    /// Remembers a generated transaction as pending. Generating the same tx_id again with
    /// the same wallet, merchant, amount and currency returns the stored transaction
    /// unchanged; with different ones it is a 409.
    /// </summary>
    public TonRampTransaction Register(string? txId, string wallet, string merchant, string amount, string currency)
    {
        lock (_gate)
        {
            if (string.IsNullOrEmpty(txId))
            {
                do
                {
                    txId = "tx" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
                }
                while (_transactions.ContainsKey(txId));
            }
            else if (_transactions.TryGetValue(txId, out var existing))
            {
                return existing.Wallet == wallet
                    && existing.Merchant == merchant
                    && existing.Currency == currency
                    && SameAmount(existing.Amount, amount)
                    ? existing
                    : throw new SimulatorInputException(
                        "tx_id already used with different parameters", StatusCodes.Status409Conflict);
            }

            var now = _time.GetUtcNow();
            var transaction = new TonRampTransaction(txId, wallet, merchant, amount, currency, Pending, now, now);
            _transactions.Add(txId, transaction);
            return transaction;
        }
    }

    public TonRampTransaction? FindTransaction(string txId)
    {
        lock (_gate)
        {
            return _transactions.GetValueOrDefault(txId);
        }
    }

    /// <summary>Moves a known transaction to <paramref name="status"/> and stamps updated_at.</summary>
    /// <exception cref="KeyNotFoundException">No transaction has this tx_id.</exception>
    /// <exception cref="ArgumentException">Not pending, paid, completed or expired.</exception>
    public TonRampTransaction SetStatus(string txId, string status)
    {
        if (!Statuses.Contains(status, StringComparer.Ordinal))
        {
            throw new ArgumentException("status must be pending, paid, completed or expired", nameof(status));
        }

        lock (_gate)
        {
            if (!_transactions.TryGetValue(txId, out var transaction))
            {
                throw new KeyNotFoundException($"unknown tx_id {txId}");
            }

            var updated = transaction with { Status = status, UpdatedAt = _time.GetUtcNow() };
            _transactions[txId] = updated;
            return updated;
        }
    }

    /// <summary>Forgets transactions, request history, rate-limit windows and pending failures.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _transactions.Clear();
            foreach (var counter in _routes.Values)
            {
                counter.Arrivals.Clear();
                counter.Accepted.Clear();
                counter.Rejected = 0;
            }

            _failures.Reset();
        }
    }

    private static bool SameAmount(string a, string b) =>
        a == b
        || (decimal.TryParse(a, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var x)
            && decimal.TryParse(b, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var y)
            && x == y);

    private static ArgumentException UnknownRoute(string route) =>
        new($"route must be generate, status or preference, not '{route}'", nameof(route));

    private RouteCounter Counter(string route) =>
        _routes.TryGetValue(route, out var counter) ? counter : throw UnknownRoute(route);

    private sealed class RouteCounter(int limit)
    {
        public int Limit { get; } = limit;

        /// <summary>Arrival time of every request, in arrival order.</summary>
        public List<DateTimeOffset> Arrivals { get; } = [];

        /// <summary>Arrival times of the non-rejected requests of the last minute.</summary>
        public Queue<DateTimeOffset> Accepted { get; } = new();

        public int Rejected { get; set; }
    }
}

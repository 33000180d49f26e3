using System.Text.Json.Nodes;

namespace TheOpenMoney.Simulators;

/// <summary>
/// "The next N requests fail with this status": the one failure switch every fake in this app offers tests
/// (the processor's /v1/* routes and its history pages, the supplier, TonRamp). A switch set with
/// <see cref="FailNextFrom"/> fails only requests at or past a position (a history offset, say: a processor
/// that breaks in the middle of a walk); earlier ones answer and keep the failures pending. Thread-safe.
/// </summary>
public sealed class InjectedFailures
{
    private readonly object _gate = new();
    private readonly int _defaultStatus;
    private int _remaining;
    private int _status;
    private long _fromPosition;

    public InjectedFailures(int defaultStatus)
    {
        _defaultStatus = defaultStatus;
        _status = defaultStatus;
    }

    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _remaining;
            }
        }
    }

    /// <summary>The next <paramref name="count"/> requests fail with <paramref name="status"/> (the default when null); replaces any pending.</summary>
    public void FailNext(int count, int? status = null) => FailNextFrom(0, count, status);

    /// <summary>
    /// The next <paramref name="count"/> requests at position <paramref name="fromPosition"/> or later (see
    /// <see cref="TryConsume(long, out int)"/>) fail with <paramref name="status"/> (the default when null);
    /// replaces any pending.
    /// </summary>
    public void FailNextFrom(long fromPosition, int count, int? status = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromPosition);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var code = status ?? _defaultStatus;
        if (code is < 100 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(status));
        }

        lock (_gate)
        {
            _remaining = count;
            _status = code;
            _fromPosition = fromPosition;
        }
    }

    /// <summary>Consumes one injected failure, if any is pending.</summary>
    public bool TryConsume(out int status) => TryConsume(long.MaxValue, out status);

    /// <summary>Consumes one injected failure when one is pending and <paramref name="position"/> is in its range.</summary>
    public bool TryConsume(long position, out int status)
    {
        lock (_gate)
        {
            status = _status;
            if (_remaining <= 0 || position < _fromPosition)
            {
                return false;
            }

            _remaining--;
            return true;
        }
    }

    public void Reset() => FailNext(0, _defaultStatus);

    /// <summary>
    /// The shared <c>/_sim/…/fail</c> control route: reads <c>{"count": n, "status": s}</c> (count 1 and
    /// <paramref name="defaultStatus"/> when absent), hands them to <paramref name="failNext"/> and echoes them.
    /// </summary>
    public static async Task HandleFailRequestAsync(HttpContext context, int defaultStatus, Action<int, int> failNext)
    {
        ArgumentNullException.ThrowIfNull(failNext);
        var body = await Json.ReadObjectAsync(context, "invalid body");
        var count = Json.OptionalLong(body, "count") ?? 1;
        var status = Json.OptionalLong(body, "status") ?? defaultStatus;
        if (count > int.MaxValue)
        {
            throw new SimulatorInputException("count is too large");
        }

        if (status is < 100 or > 599)
        {
            throw new SimulatorInputException("status must be an HTTP status code");
        }

        failNext((int)count, (int)status);
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["count"] = count,
            ["status"] = status,
        });
    }
}

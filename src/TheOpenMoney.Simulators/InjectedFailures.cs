using System.Text.Json.Nodes;

namespace TheOpenMoney.Simulators;

/// <summary>"The next N requests fail with this status": the failure switch every fake in this app offers tests.</summary>
public sealed class InjectedFailures
{
    private readonly object _gate = new();
    private readonly int _defaultStatus;
    private int _remaining;
    private int _status;

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
    public void FailNext(int count, int? status = null)
    {
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
        }
    }

    /// <summary>Consumes one injected failure, if any is pending.</summary>
    public bool TryConsume(out int status)
    {
        lock (_gate)
        {
            status = _status;
            if (_remaining <= 0)
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

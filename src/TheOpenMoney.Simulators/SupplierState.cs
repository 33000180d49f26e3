using System.Security.Cryptography;

namespace TheOpenMoney.Simulators;

/// <summary>What the supplier fake delivers: Telegram Stars or Telegram Premium.</summary>
public enum SupplierProduct
{
    Stars,
    Premium,
}

/// <summary>A validated delivery request (POST /supplier/v1/deliveries).</summary>
/// <param name="OrderId">The caller's order id, &gt; 0.</param>
/// <param name="Product">Stars or Premium.</param>
/// <param name="Username">Telegram username without a leading "@".</param>
/// <param name="Quantity">Number of stars (Stars only).</param>
/// <param name="Months">Premium months: 3, 6 or 12 (Premium only).</param>
public sealed record SupplierDeliveryRequest(
    long OrderId,
    SupplierProduct Product,
    string Username,
    long? Quantity,
    int? Months);

/// <summary>A delivery that really happened (never recorded twice for one idempotency key).</summary>
public sealed record SupplierDelivery(
    string IdempotencyKey,
    string Reference,
    SupplierDeliveryRequest Request,
    DateTimeOffset DeliveredAt);

/// <summary>
/// The answer remembered under an idempotency key and replayed verbatim for later POSTs
/// with the same key.
/// </summary>
/// <param name="StatusCode">200 (delivered) or 422 (refused).</param>
/// <param name="Outcome">"delivered" or "refused".</param>
/// <param name="OrderId">Order id of the first request with this key.</param>
/// <param name="Reference">"SUP-…" for a delivery, null for a refusal.</param>
/// <param name="Error">Error message of a refusal.</param>
/// <param name="Code">Error code of a refusal ("RECIPIENT_REFUSED").</param>
public sealed record SupplierAnswer(
    int StatusCode,
    string Outcome,
    long OrderId,
    string? Reference,
    string? Error,
    string? Code)
{
    public const string Delivered = "delivered";
    public const string Refused = "refused";
    public const string RefusedCode = "RECIPIENT_REFUSED";
    public const string RefusedMessage = "recipient cannot receive";
}

/// <summary>Result of <see cref="SupplierState.Deliver"/>.</summary>
/// <param name="Answer">What to answer.</param>
/// <param name="Replayed">True when the key was seen before (nothing was delivered now).</param>
public readonly record struct SupplierDeliveryResult(SupplierAnswer Answer, bool Replayed);

/// <summary>
/// State of the Fragment-style supplier fake: answers by idempotency key, real deliveries,
/// injected transient failures and the answer delay. All members are thread-safe (one lock).
/// </summary>
public sealed class SupplierState
{
    private const string ReferenceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private const int ReferenceLength = 10;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SupplierAnswer> _answers = new(StringComparer.Ordinal);
    private readonly List<SupplierDelivery> _deliveries = [];
    private readonly Dictionary<long, int> _byOrder = [];
    private readonly HashSet<string> _references = new(StringComparer.Ordinal);
    private readonly InjectedFailures _failures = new(StatusCodes.Status503ServiceUnavailable);
    private int _delayMs;

    public SupplierState(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>All real deliveries so far.</summary>
    public int TotalDeliveries
    {
        get
        {
            lock (_gate)
            {
                return _deliveries.Count;
            }
        }
    }

    /// <summary>
    /// Milliseconds to wait after recording a delivery before answering (0 = none). Lets a
    /// test kill the client between "supplier delivered" and "client heard it". Must be &gt;= 0.
    /// </summary>
    public int DelayMs
    {
        get
        {
            lock (_gate)
            {
                return _delayMs;
            }
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate)
            {
                _delayMs = value;
            }
        }
    }

    /// <summary>Delivery POSTs still to be answered with the injected failure.</summary>
    public int PendingFailures
    {
        get => _failures.Pending;
    }

    /// <summary>How many real deliveries happened for <paramref name="orderId"/>.</summary>
    public int DeliveriesFor(long orderId)
    {
        lock (_gate)
        {
            return _byOrder.GetValueOrDefault(orderId);
        }
    }

    /// <summary>Real deliveries per order id.</summary>
    public IReadOnlyDictionary<long, int> DeliveriesByOrder()
    {
        lock (_gate)
        {
            return new Dictionary<long, int>(_byOrder);
        }
    }

    /// <summary>Every real delivery in the order it happened.</summary>
    public IReadOnlyList<SupplierDelivery> GetDeliveries()
    {
        lock (_gate)
        {
            return _deliveries.ToArray();
        }
    }

    /// <summary>The answer remembered under <paramref name="idempotencyKey"/>, or null.</summary>
    public SupplierAnswer? FindAnswer(string idempotencyKey)
    {
        lock (_gate)
        {
            return _answers.GetValueOrDefault(idempotencyKey);
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> delivery POSTs answer <paramref name="status"/> with
    /// {"error": "supplier unavailable"}, recording nothing and remembering no key.
    /// Replaces any failures still pending.
    /// </summary>
    public void FailNext(int count, int status = StatusCodes.Status503ServiceUnavailable)
    {
        _failures.FailNext(count, status);
    }

    /// <summary>Consumes one injected failure, if any is pending.</summary>
    public bool TryConsumeFailure(out int status)
    {
        return _failures.TryConsume(out status);
    }

    /// <summary>
    /// Answers a delivery request: replays the remembered answer when the key was seen,
    /// refuses usernames starting with "fail", otherwise records exactly one delivery.
    /// </summary>
    public SupplierDeliveryResult Deliver(string idempotencyKey, SupplierDeliveryRequest request)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (_answers.TryGetValue(idempotencyKey, out var previous))
            {
                return new SupplierDeliveryResult(previous, Replayed: true);
            }

            SupplierAnswer answer;
            if (request.Username.StartsWith("fail", StringComparison.OrdinalIgnoreCase))
            {
                answer = new SupplierAnswer(
                    StatusCodes.Status422UnprocessableEntity,
                    SupplierAnswer.Refused,
                    request.OrderId,
                    Reference: null,
                    SupplierAnswer.RefusedMessage,
                    SupplierAnswer.RefusedCode);
            }
            else
            {
                var reference = NewReferenceLocked();
                _deliveries.Add(new SupplierDelivery(idempotencyKey, reference, request, _time.GetUtcNow()));
                _byOrder[request.OrderId] = _byOrder.GetValueOrDefault(request.OrderId) + 1;
                answer = new SupplierAnswer(
                    StatusCodes.Status200OK, SupplierAnswer.Delivered, request.OrderId, reference, Error: null, Code: null);
            }

            _answers.Add(idempotencyKey, answer);
            return new SupplierDeliveryResult(answer, Replayed: false);
        }
    }

    /// <summary>Forgets every answer and delivery, pending failures and the delay.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _answers.Clear();
            _deliveries.Clear();
            _byOrder.Clear();
            _references.Clear();
            _failures.Reset();
            _delayMs = 0;
        }
    }

    private string NewReferenceLocked()
    {
        while (true)
        {
            var reference = "SUP-" + RandomNumberGenerator.GetString(ReferenceAlphabet, ReferenceLength);
            if (_references.Add(reference))
            {
                return reference;
            }
        }
    }
}

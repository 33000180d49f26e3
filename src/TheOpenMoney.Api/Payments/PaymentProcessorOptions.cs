namespace TheOpenMoney.Api.Payments;

/// <summary>Configuration section <c>PaymentProcessor</c> (the self-hosted gobicycle/bicycle).</summary>
public sealed class PaymentProcessorOptions
{
    public const string Section = "PaymentProcessor";

    /// <summary>The processor's HTTP API; when empty, payments are not tracked (addresses come from <c>Payments:OrdersAddress</c>).</summary>
    public string? BaseUrl { get; set; }

    public string? ApiToken { get; set; }

    /// <summary>How often the deposit history is polled.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bearer token the processor sends to <c>POST /internal/processor/webhook</c>; the route is off when empty.</summary>
    public string? WebhookToken { get; set; }

    /// <summary>The processor user_id of the one orders deposit address.</summary>
    public string OrdersUserId { get; set; } = "orders";

    /// <summary>The processor user_id under which every partner's top-up address is generated.</summary>
    public string TopupsUserId { get; set; } = "topups";

    /// <summary>
    /// The processor currency the payment path reads and confirms: TON, the only one it accepts until deposits,
    /// balances and matching carry a currency (issue 27). A deposit row holds nanoTON, so another value here would
    /// credit a jetton's base units as nanoTON; start-up refuses it.
    /// </summary>
    public string Currency { get; set; } = "TON";

    /// <summary>
    /// History page size (1-1000). Each page costs a cursor commit and a wait for its slowest lane, so a
    /// burst applies faster with bigger pages: 10,000 deposits took 4.9 s at 100 and 3.8 s at 500 (bench/NOTES.md).
    /// </summary>
    public int PageSize { get; set; } = 500;

    /// <summary>Connections a history page is applied on at once (deposits of one order or top-up account share one).</summary>
    public int ApplyLanes { get; set; } = 4;

    /// <summary>Rows re-read before the cursor on every poll, in case the processor's offsets shifted.</summary>
    public int RescanOverlap { get; set; } = 100;

    /// <summary>
    /// Consecutive failures (the database refused the deposit; an unavailable database does not count)
    /// after which a readable deposit is quarantined so the poller can move past it.
    /// </summary>
    public int MaxApplyFailures { get; set; } = 5;

    /// <summary>How often the whole history is re-read from offset 0 (offsets can skip rows).</summary>
    public TimeSpan FullRescanInterval { get; set; } = TimeSpan.FromHours(1);

    public HttpResilienceOptions Http { get; set; } = new()
    {
        AttemptTimeout = TimeSpan.FromSeconds(10),
        MaxRetries = 2,
        CircuitFailureRatio = 0.8,
        CircuitBreakDuration = TimeSpan.FromSeconds(10),
    };

    public bool Enabled => !string.IsNullOrWhiteSpace(BaseUrl);
}

namespace TheOpenMoney.Simulators;

/// <summary>
/// Settings of the simulator (bicycle processor, supplier and TonRamp fakes), bound from the
/// "Simulator" configuration section and then adjusted by the optional delegate given to <see cref="SimulatorApp.Create"/>.
/// </summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    /// <summary>Bearer token every /v1/* route except GET /v1/system/sync requires.</summary>
    public string ApiToken { get; set; } = "sim-token";

    /// <summary>When true, generated addresses carry the testnet flag ("0Q…" instead of "UQ…").</summary>
    public bool Testnet { get; set; }

    /// <summary>Where visible deposits are pushed (like bicycle's WEBHOOK_ENDPOINT); null disables the push.</summary>
    public string? WebhookEndpoint { get; set; }

    /// <summary>Bearer token sent with every webhook push.</summary>
    public string? WebhookToken { get; set; }

    /// <summary>GET /v1/system/sync reports is_synced = true while the lag is below this many seconds.</summary>
    public int SyncThresholdSeconds { get; set; } = 30;

    /// <summary>Bearer token the supplier fake requires on /supplier/v1/deliveries*.</summary>
    public string SupplierApiKey { get; set; } = "supplier-key";

    /// <summary>When set, the TonRamp fake requires this X-API-Key on generate and status; null means no key.</summary>
    public string? TonRampApiKey { get; set; }

    /// <summary>
    /// The clock every fake uses (registered as the <see cref="System.TimeProvider"/> service);
    /// null means the system clock. Code-only: not read from configuration.
    /// </summary>
    public TimeProvider? Clock { get; set; }

    /// <summary>
    /// When set, the processor's addresses, deposits (raw rows included, with which ones were already pushed to the
    /// webhook), withdrawals and lag survive restarts: loaded at start (a file that cannot be read fails start-up),
    /// saved at most every 200 ms after a change and once more at shutdown, atomically (temporary file + rename).
    /// Webhook settings still come from configuration. Null (default): memory only.
    /// </summary>
    public string? StateFile { get; set; }

    /// <summary>What the hot wallet holds before any deposit is swept into it (base units: 10,000 TON by default).</summary>
    public long HotWalletNanoton { get; set; } = 10_000_000_000_000;

    /// <summary>
    /// The currencies the processor is configured with (bicycle: TON plus the jettons in its configuration): addresses,
    /// deposits, history, income and balances are per currency; any other <c>currency</c> is "invalid currency type".
    /// TON is always one of them. Empty (the default) means TON and USDT: the configuration binder appends to an
    /// array's initial items, so a default written here could never be narrowed to TON alone.
    /// </summary>
    public string[] Currencies { get; set; } = [];

    /// <summary>
    /// Seconds a deposit stays at its address (GET /v1/balance?address= shows it) before it is swept to the hot
    /// wallet (60 by default; 0 sweeps at once).
    /// </summary>
    public long SweepDelaySeconds { get; set; } = 60;

    /// <summary>Seconds a withdrawal stays pending, then processing, before it is processed (0: at the next look).</summary>
    public int WithdrawalStepSeconds { get; set; } = 1;

    /// <summary>Minimum level of the simulator's own logging; everything below is dropped.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;
}

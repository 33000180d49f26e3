using System.Numerics;

namespace TheOpenMoney.Simulators;

/// <summary>
/// Everything the simulated processor knows, behind one lock: the routes and the webhook pusher call only this
/// class. It holds no logic of its own beyond taking the lock, delegating to the part that owns the data and
/// counting changes for the state file:
/// <list type="bullet">
/// <item><see cref="ProcessorAddresses"/>: generated deposit addresses and their owners;</item>
/// <item><see cref="DepositLedger"/>: deposits (typed, raw, duplicates) and their history and tx_hash indexes;</item>
/// <item><see cref="SyncLag"/>: the clock and the lag, hence which deposits are visible and the sync status;</item>
/// <item><see cref="WebhookPushQueue"/>: webhook settings, the deposits waiting for a push, the pushed ones;</item>
/// <item><see cref="ProcessorWithdrawals"/>: accepted withdrawals (where money out is to be built);</item>
/// <item><see cref="InjectedFailures"/>: the failure switches for /v1/* and for history pages past an offset;</item>
/// <item><c>ProcessorState.StateFile.cs</c>: the snapshot the state file keeps and its restore.</item>
/// </list>
/// All members are thread-safe: each public call takes the lock once and does all its work under it (so an
/// injection, a push step or a snapshot sees every part consistent), never during I/O. The parts themselves
/// do not lock; the failure switches have their own lock (taken inside this one by <see cref="Reset"/>, never
/// the other way round). Addresses, deposits (with their push marks), withdrawals and lag are what
/// <see cref="Snapshot"/> copies for the state file (<see cref="SimulatorOptions.StateFile"/>).
/// </summary>
public sealed partial class ProcessorState
{
    private readonly Lock _gate = new();

    private readonly ProcessorAddresses _addresses = new();
    private readonly DepositLedger _deposits;
    private readonly SyncLag _lag;
    private readonly WebhookPushQueue _pushes = new();
    private readonly ProcessorWithdrawals _withdrawals;
    private readonly BigInteger _hotWalletStart;
    private readonly Dictionary<string, int> _requests = new(StringComparer.Ordinal);

    private readonly InjectedFailures _failures = new(StatusCodes.Status500InternalServerError);
    private readonly InjectedFailures _historyFailures = new(StatusCodes.Status500InternalServerError);

    // Bumped under the lock by every change the state file keeps; the persister saves when it moved.
    private long _changes;
    private readonly string[] _currencies;

    public ProcessorState(SimulatorOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Testnet = options.Testnet;
        string[] configured = options.Currencies is { Length: > 0 } given ? given : [ProcessorCurrencies.Ton, ProcessorCurrencies.Usdt];
        _currencies = [.. configured.Prepend(ProcessorCurrencies.Ton).Distinct(StringComparer.Ordinal)];
        if (_currencies.Any(c => c.Length is 0 or > 16 || !c.All(char.IsAsciiLetterOrDigit)))
        {
            throw new ArgumentException("Simulator:Currencies are short names of ASCII letters and digits (TON, USDT)", nameof(options));
        }

        _lag = new SyncLag(timeProvider ?? TimeProvider.System, options.SyncThresholdSeconds);
        _deposits = new DepositLedger(_addresses);
        _withdrawals = new ProcessorWithdrawals(options);
        _hotWalletStart = options.HotWalletNanoton;
        if (!string.IsNullOrWhiteSpace(options.WebhookEndpoint))
        {
            ConfigureWebhook(options.WebhookEndpoint, options.WebhookToken);
        }
    }

    /// <summary>Whether generated addresses carry the testnet flag.</summary>
    public bool Testnet { get; }

    /// <summary>Current unix time in seconds.</summary>
    public long NowUnixSeconds => _lag.NowUnixSeconds;

    /// <summary>
    /// How far (seconds) the processor is behind the chain: deposits are visible only when
    /// their time is &lt;= now − LagSeconds. Must be &gt;= 0.
    /// </summary>
    public long LagSeconds
    {
        get
        {
            lock (_gate)
            {
                return _lag.Seconds;
            }
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate)
            {
                _lag.Seconds = value;
                _changes++;
            }
        }
    }

    public int AddressCount
    {
        get
        {
            lock (_gate)
            {
                return _addresses.Count;
            }
        }
    }

    /// <summary>All stored deposits, including not yet visible ones and duplicates.</summary>
    public int DepositCount
    {
        get
        {
            lock (_gate)
            {
                return _deposits.Count;
            }
        }
    }

    /// <summary>Remaining /v1/* requests that will be answered with the injected failure.</summary>
    public int PendingFailures
    {
        get => _failures.Pending;
    }

    public bool WebhookEnabled
    {
        get
        {
            lock (_gate)
            {
                return _pushes.Enabled;
            }
        }
    }

    public string? WebhookEndpoint
    {
        get
        {
            lock (_gate)
            {
                return _pushes.Endpoint;
            }
        }
    }

    /// <summary>Webhook pushes answered with 200.</summary>
    public int WebhookDeliveries
    {
        get
        {
            lock (_gate)
            {
                return _pushes.Deliveries;
            }
        }
    }

    // ---------------------------------------------------------------- addresses

    /// <summary>Generates a brand-new deposit address of <paramref name="currency"/> for <paramref name="userId"/> (never reused).</summary>
    public string CreateAddress(string userId, string currency = ProcessorCurrencies.Ton)
    {
        if (string.IsNullOrEmpty(userId))
        {
            throw new SimulatorInputException("need to provide user ID");
        }

        RequireCurrency(currency);
        lock (_gate)
        {
            var address = _addresses.Create(userId, currency, Testnet);
            _changes++;
            return address;
        }
    }

    /// <summary>The currencies this processor serves (<see cref="SimulatorOptions.Currencies"/>).</summary>
    public IReadOnlyList<string> Currencies => _currencies;

    /// <summary>"invalid currency type" (400) unless the processor serves <paramref name="currency"/>; "need to provide currency" when empty.</summary>
    public void RequireCurrency(string? currency)
    {
        if (string.IsNullOrEmpty(currency))
        {
            throw new SimulatorInputException("need to provide currency");
        }

        if (!_currencies.Contains(currency, StringComparer.Ordinal))
        {
            throw new SimulatorInputException("invalid currency type");
        }
    }

    /// <summary>An injection's currency: not given means TON; given, it must be one the processor serves.</summary>
    private void CheckCurrency(string? currency)
    {
        if (currency is not null)
        {
            RequireCurrency(currency);
        }
    }

    /// <summary>Addresses of <paramref name="userId"/> in creation order (every currency).</summary>
    public IReadOnlyList<string> GetAddresses(string userId) => GetAddressesWithCurrency(userId).Select(a => a.Address).ToArray();

    /// <summary>Addresses of <paramref name="userId"/> with the currency each receives, in creation order.</summary>
    public IReadOnlyList<(string Address, string Currency)> GetAddressesWithCurrency(string userId)
    {
        lock (_gate)
        {
            return _addresses.Of(userId).Select(a => (a.Address, a.Currency)).ToArray();
        }
    }

    /// <summary>
    /// The owner of a simulator-generated address (any user-friendly spelling of it), or null.
    /// </summary>
    public string? FindAddressOwner(string? address)
    {
        lock (_gate)
        {
            return _addresses.Lookup(address)?.UserId;
        }
    }

    // ---------------------------------------------------------------- deposits

    /// <summary>Stores one deposit. Throws <see cref="SimulatorInputException"/> on bad input (400) or a duplicate tx_hash (409).</summary>
    public DepositRecord InjectDeposit(DepositInjection deposit)
    {
        ArgumentNullException.ThrowIfNull(deposit);
        CheckCurrency(deposit.Currency);
        lock (_gate)
        {
            var prepared = _deposits.Prepare(deposit, null, _lag.NowUnixSeconds);
            return Store(prepared);
        }
    }

    /// <summary>Stores several deposits atomically: either all are valid and stored, or none.</summary>
    public IReadOnlyList<DepositRecord> InjectDeposits(IReadOnlyList<DepositInjection> deposits)
    {
        ArgumentNullException.ThrowIfNull(deposits);
        lock (_gate)
        {
            var batchHashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var prepared = new List<PreparedDeposit>(deposits.Count);
            for (var i = 0; i < deposits.Count; i++)
            {
                try
                {
                    CheckCurrency(deposits[i]?.Currency);
                    prepared.Add(_deposits.Prepare(
                        deposits[i] ?? throw new SimulatorInputException("deposit is null"), batchHashes, _lag.NowUnixSeconds));
                }
                catch (SimulatorInputException ex)
                {
                    throw new SimulatorInputException($"deposits[{i}]: {ex.Message}", ex.StatusCode);
                }
            }

            return prepared.Select(Store).ToArray();
        }
    }

    /// <summary>
    /// Stores one raw row at the end of <see cref="RawDepositInjection.UserId"/>'s history (dated now). Never
    /// validated beyond a non-empty user_id and text: a repeated tx_hash is allowed (the first stored wins on lookup).
    /// </summary>
    public DepositRecord InjectRawDeposit(RawDepositInjection row)
    {
        ArgumentNullException.ThrowIfNull(row);
        DepositLedger.CheckRaw(row);
        CheckCurrency(row.Currency);
        lock (_gate)
        {
            return StoreRaw(row);
        }
    }

    /// <summary>Stores several raw rows atomically, in list order.</summary>
    public IReadOnlyList<DepositRecord> InjectRawDeposits(IReadOnlyList<RawDepositInjection> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        for (var i = 0; i < rows.Count; i++)
        {
            try
            {
                DepositLedger.CheckRaw(rows[i] ?? throw new SimulatorInputException("row is null"));
                CheckCurrency(rows[i].Currency);
            }
            catch (SimulatorInputException ex)
            {
                throw new SimulatorInputException($"rows[{i}]: {ex.Message}", ex.StatusCode);
            }
        }

        lock (_gate)
        {
            return rows.Select(StoreRaw).ToArray();
        }
    }

    /// <summary>Every stored deposit (visible or not) in insertion order.</summary>
    public IReadOnlyList<DepositRecord> GetDeposits()
    {
        lock (_gate)
        {
            return _deposits.All.ToArray();
        }
    }

    /// <summary>Whether the processor already "sees" the deposit (time &lt;= now − lag).</summary>
    public bool IsVisible(DepositRecord deposit)
    {
        ArgumentNullException.ThrowIfNull(deposit);
        lock (_gate)
        {
            return deposit.Time <= _lag.VisibleUntil();
        }
    }

    /// <summary>The page GET /v1/deposit/history answers with.</summary>
    public IReadOnlyList<DepositRecord> GetHistory(string userId, int limit, int offset, bool ascending, string currency = ProcessorCurrencies.Ton)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_gate)
        {
            return _deposits.History(userId, currency, _lag.VisibleUntil(), limit, offset, ascending);
        }
    }

    /// <summary>Visible income per address of <paramref name="userId"/>, in address creation order.</summary>
    public IReadOnlyList<AddressIncome> GetIncome(string userId)
    {
        lock (_gate)
        {
            var until = _lag.VisibleUntil();
            return _addresses.Of(userId)
                .Select(address => new AddressIncome(address.Address, _deposits.SumVisible(address.Address, until), address.Currency))
                .ToArray();
        }
    }

    /// <summary>The first stored visible deposit with this tx hash (case-insensitive), or null.</summary>
    public DepositRecord? FindVisibleDeposit(string txHash)
    {
        lock (_gate)
        {
            return _deposits.FindVisible(txHash, _lag.VisibleUntil());
        }
    }

    /// <summary>Whether any deposit (visible or not) with this tx hash is stored.</summary>
    public bool IsKnownTxHash(string txHash)
    {
        lock (_gate)
        {
            return _deposits.IsKnownTxHash(txHash);
        }
    }

    /// <summary>Sum of visible deposits to the address, or null when the simulator did not generate it.</summary>
    public BigInteger? GetVisibleBalance(string address)
    {
        lock (_gate)
        {
            var entry = _addresses.Lookup(address);
            return entry is null ? null : _deposits.SumVisible(entry.Address, _lag.VisibleUntil());
        }
    }

    // ---------------------------------------------------------------- sync / failures

    /// <summary>is_synced = lag &lt; SyncThresholdSeconds; last_block_gen_utime = now − lag.</summary>
    public SyncStatus GetSyncStatus()
    {
        lock (_gate)
        {
            return _lag.Status();
        }
    }

    /// <summary>The next <paramref name="count"/> /v1/* requests answer <paramref name="status"/> with {"error": "simulated failure"}.</summary>
    public void FailNext(int count, int status = StatusCodes.Status500InternalServerError)
    {
        _failures.FailNext(count, status);
    }

    /// <summary>Consumes one injected failure, if any is pending.</summary>
    public bool TryConsumeFailure(out int status)
    {
        return _failures.TryConsume(out status);
    }

    /// <summary>
    /// The next <paramref name="count"/> history requests at offset <paramref name="fromOffset"/> or later fail
    /// with <paramref name="status"/>; earlier pages still answer (a processor that breaks in the middle of a walk).
    /// </summary>
    public void FailHistoryFrom(long fromOffset, int count, int status = StatusCodes.Status500InternalServerError)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromOffset);
        _historyFailures.FailNextFrom(fromOffset, count, status);
    }

    /// <summary>Consumes one history failure when one is pending and <paramref name="offset"/> is in its range.</summary>
    public bool TryConsumeHistoryFailure(long offset, out int status)
    {
        return _historyFailures.TryConsume(offset, out status);
    }

    // ---------------------------------------------------------------- withdrawals

    /// <summary>Stores a pending withdrawal; (user_id, query_id) must be unique. The answer waits <see cref="WithdrawalAnswerDelay"/> after.</summary>
    public WithdrawalRecord AddWithdrawal(
        string userId,
        string queryId,
        string currency,
        BigInteger amount,
        string destination,
        string? comment)
    {
        lock (_gate)
        {
            var record = _withdrawals.Add(userId, queryId, currency, amount, destination, comment, _lag.NowUnixSeconds);
            _changes++;
            return record;
        }
    }

    /// <summary>How long the answer to a send waits once the withdrawal is stored.</summary>
    public TimeSpan WithdrawalAnswerDelay
    {
        get
        {
            lock (_gate)
            {
                return _withdrawals.AnswerDelay;
            }
        }
    }

    /// <summary>How long a send waits before it is stored (nothing is stored when the caller leaves meanwhile).</summary>
    public TimeSpan WithdrawalAcceptDelay
    {
        get
        {
            lock (_gate)
            {
                return _withdrawals.AcceptDelay;
            }
        }
    }

    public WithdrawalRecord? GetWithdrawal(long id)
    {
        lock (_gate)
        {
            AdvanceWithdrawals();
            return _withdrawals.Get(id);
        }
    }

    public IReadOnlyList<WithdrawalRecord> GetWithdrawals()
    {
        lock (_gate)
        {
            AdvanceWithdrawals();
            return _withdrawals.All.ToArray();
        }
    }

    /// <summary>
    /// The hot wallet's holding of <paramref name="currency"/> (still including what is queued to leave) and the totals
    /// of it queued: TON, or a jetton (every visible deposit of it that has been swept, minus what was sent of it).
    /// </summary>
    public (BigInteger Balance, BigInteger Pending, BigInteger Processing) GetHotWallet(string currency = ProcessorCurrencies.Ton)
    {
        lock (_gate)
        {
            AdvanceWithdrawals();
            var (pending, processing) = _withdrawals.Queued(currency);
            return (HotHolding(currency), pending, processing);
        }
    }

    /// <summary>
    /// What a deposit address holds of <paramref name="currency"/>: received and not swept yet; zero for an address the
    /// simulator did not generate or that receives another currency.
    /// </summary>
    public BigInteger GetUnsweptBalance(string address, string currency = ProcessorCurrencies.Ton)
    {
        lock (_gate)
        {
            var entry = _addresses.Lookup(address);
            var until = _lag.VisibleUntil();
            return entry is null || entry.Currency != currency ? BigInteger.Zero : _deposits.SumBetween(entry.Address, until - _withdrawals.SweepDelaySeconds, until);
        }
    }

    /// <summary>Under the lock: what the hot wallet holds of <paramref name="currency"/> before anything more is sent.</summary>
    private BigInteger HotHolding(string currency) => currency == ProcessorCurrencies.Ton
        ? HotWalletBalance()
        : _deposits.SumSwept(currency, _lag.VisibleUntil() - _withdrawals.SweepDelaySeconds) - _withdrawals.Sent(currency);

    /// <summary>Test controls of withdrawals: hold them where they are, plan the next ones to fail, delay the answer to a send, change the sweep delay.</summary>
    public void ControlWithdrawals(bool? hold, int? failNext, TimeSpan? answerDelay, long? sweepDelaySeconds, TimeSpan? acceptDelay = null)
    {
        lock (_gate)
        {
            if (acceptDelay is { } accept)
            {
                _withdrawals.AcceptDelay = accept;
            }

            if (hold is { } held)
            {
                _withdrawals.Held = held;
            }

            if (failNext is { } fail)
            {
                _withdrawals.FailNext = fail;
            }

            if (answerDelay is { } delay)
            {
                _withdrawals.AnswerDelay = delay;
            }

            if (sweepDelaySeconds is { } sweep)
            {
                _withdrawals.SweepDelaySeconds = sweep;
            }
        }
    }

    /// <summary>Under the lock: the hot wallet's start, plus what was swept in, minus what was sent.</summary>
    private BigInteger HotWalletBalance() =>
        _hotWalletStart + _deposits.SumAllTon(_lag.VisibleUntil() - _withdrawals.SweepDelaySeconds) - _withdrawals.Sent();

    /// <summary>Under the lock: moves the withdrawals as far as the clock, the sync and the hot wallet allow.</summary>
    private void AdvanceWithdrawals()
    {
        if (_withdrawals.Advance(_lag.NowUnixSeconds, _lag.Status().IsSynced, HotHolding))
        {
            _changes++;
        }
    }

    // ---------------------------------------------------------------- webhook

    /// <summary>
    /// Sets the push target and (re-)enables pushing; a null or blank endpoint disables it.
    /// </summary>
    public void ConfigureWebhook(string? endpoint, string? token)
    {
        WebhookPushQueue.CheckEndpoint(endpoint);
        lock (_gate)
        {
            _pushes.Configure(endpoint, token);
        }
    }

    /// <summary>Deposits that are stored but were not (yet) pushed with a 200 answer.</summary>
    public IReadOnlyList<DepositRecord> GetUnpushedDeposits()
    {
        lock (_gate)
        {
            return _deposits.All.Where(d => !_pushes.WasPushed(d)).ToArray();
        }
    }

    internal WebhookWork? NextWebhookWork()
    {
        lock (_gate)
        {
            return _pushes.Next(_lag.VisibleUntil());
        }
    }

    internal void CompleteWebhookWork(WebhookWork work, bool delivered)
    {
        lock (_gate)
        {
            if (_pushes.Complete(work, delivered))
            {
                _changes++;
            }
        }
    }

    // ---------------------------------------------------------------- diagnostics

    internal void RecordRequest(string method, string path)
    {
        var key = method + " " + path;
        lock (_gate)
        {
            _requests[key] = _requests.GetValueOrDefault(key) + 1;
        }
    }

    /// <summary>Requests seen on /v1/* keyed by "METHOD /path" (query string excluded).</summary>
    public IReadOnlyDictionary<string, int> GetRequestCounts()
    {
        lock (_gate)
        {
            return new Dictionary<string, int>(_requests, StringComparer.Ordinal);
        }
    }

    /// <summary>How many requests hit e.g. ("GET", "/v1/deposit/history").</summary>
    public int GetRequestCount(string method, string path)
    {
        lock (_gate)
        {
            return _requests.GetValueOrDefault(method + " " + path);
        }
    }

    /// <summary>
    /// Clears deposits (and their push marks), lag, pending failures, request counters and the
    /// delivery counter. Addresses, withdrawals and webhook settings are kept.
    /// </summary>
    public void Reset()
    {
        lock (_gate)
        {
            _deposits.Clear();
            _pushes.Clear();
            _lag.Seconds = 0;
            _failures.Reset();
            _historyFailures.Reset();
            _requests.Clear();
            _changes++;
        }
    }

    // ---------------------------------------------------------------- internals (under the lock)

    private DepositRecord Store(PreparedDeposit prepared) => Track(_deposits.Store(prepared));

    private DepositRecord StoreRaw(RawDepositInjection row) => Track(_deposits.StoreRaw(row, _lag.NowUnixSeconds));

    /// <summary>A newly stored deposit waits for its push and is a change the state file keeps.</summary>
    private DepositRecord Track(DepositRecord record)
    {
        _pushes.Track(record, pushed: false);
        _changes++;
        return record;
    }
}

using System.Numerics;
using System.Security.Cryptography;

namespace TheOpenMoney.Simulators;

/// <summary>
/// Everything the simulated processor knows: addresses, deposits, lag, injected failures,
/// webhook settings and request counters. All members are thread-safe (one lock, never held
/// during I/O). Addresses, deposits (with their push marks), withdrawals and lag are what
/// <see cref="Snapshot"/> copies for the state file (<see cref="SimulatorOptions.StateFile"/>).
/// </summary>
public sealed class ProcessorState
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly int _syncThresholdSeconds;

    private readonly List<AddressEntry> _addresses = [];
    private readonly Dictionary<string, AddressEntry> _addressesByAccount = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<AddressEntry>> _addressesByUser = new(StringComparer.Ordinal);

    private readonly List<DepositRecord> _deposits = [];
    // Every deposit stored under a tx_hash (case-insensitive), in storing order: GET /v1/deposit/income is a
    // lookup, not a scan (the API confirms every webhook push with it).
    private readonly Dictionary<string, List<DepositRecord>> _byTxHash = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<long> _pushed = [];

    // Indexes over _deposits, so that a history page and the next webhook push cost O(log n) and
    // not a scan of everything (a 10,000-deposit burst would otherwise be quadratic).
    private static readonly Comparer<DepositRecord> ChainOrder = Comparer<DepositRecord>.Create(
        (a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.Sequence.CompareTo(b.Sequence));

    private readonly Dictionary<string, List<DepositRecord>> _historyByUser = new(StringComparer.Ordinal);
    private readonly SortedSet<DepositRecord> _unpushed = new(ChainOrder);
    private long _nextSequence;

    private readonly List<WithdrawalRecord> _withdrawals = [];
    private readonly Dictionary<string, int> _requests = new(StringComparer.Ordinal);

    private long _lagSeconds;
    private readonly InjectedFailures _failures = new(StatusCodes.Status500InternalServerError);
    private readonly InjectedFailures _historyFailures = new(StatusCodes.Status500InternalServerError);
    private long _historyFailFromOffset;

    private string? _webhookEndpoint;
    private string? _webhookToken;
    private bool _webhookEnabled;
    private long _webhookGeneration;
    private int _webhookDeliveries;

    // Bumped under the lock by every change the state file keeps; the persister saves when it moved.
    private long _changes;

    public ProcessorState(SimulatorOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Testnet = options.Testnet;
        _syncThresholdSeconds = options.SyncThresholdSeconds;
        _time = timeProvider ?? TimeProvider.System;
        if (!string.IsNullOrWhiteSpace(options.WebhookEndpoint))
        {
            ConfigureWebhook(options.WebhookEndpoint, options.WebhookToken);
        }
    }

    /// <summary>Whether generated addresses carry the testnet flag.</summary>
    public bool Testnet { get; }

    /// <summary>Current unix time in seconds.</summary>
    public long NowUnixSeconds => _time.GetUtcNow().ToUnixTimeSeconds();

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
                return _lagSeconds;
            }
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate)
            {
                _lagSeconds = value;
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
                return _webhookEnabled;
            }
        }
    }

    public string? WebhookEndpoint
    {
        get
        {
            lock (_gate)
            {
                return _webhookEndpoint;
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
                return _webhookDeliveries;
            }
        }
    }

    // ---------------------------------------------------------------- addresses

    /// <summary>Generates a brand-new deposit address for <paramref name="userId"/> (never reused).</summary>
    public string CreateAddress(string userId)
    {
        if (string.IsNullOrEmpty(userId))
        {
            throw new SimulatorInputException("need to provide user ID");
        }

        lock (_gate)
        {
            while (true)
            {
                var address = TonAddress.CreateRandom(Testnet);
                if (!TonAddress.TryParse(address, out var info, out _))
                {
                    throw new InvalidOperationException("generated an unparsable address");
                }

                if (_addressesByAccount.ContainsKey(info.AccountId))
                {
                    continue;
                }

                var entry = new AddressEntry(userId, address);
                _addresses.Add(entry);
                _addressesByAccount.Add(info.AccountId, entry);
                if (!_addressesByUser.TryGetValue(userId, out var list))
                {
                    list = [];
                    _addressesByUser.Add(userId, list);
                }

                list.Add(entry);
                _changes++;
                return address;
            }
        }
    }

    /// <summary>Addresses of <paramref name="userId"/> in creation order.</summary>
    public IReadOnlyList<string> GetAddresses(string userId)
    {
        lock (_gate)
        {
            return _addressesByUser.TryGetValue(userId, out var list)
                ? list.Select(a => a.Address).ToArray()
                : [];
        }
    }

    /// <summary>
    /// The owner of a simulator-generated address (any user-friendly spelling of it), or null.
    /// </summary>
    public string? FindAddressOwner(string? address)
    {
        lock (_gate)
        {
            return Lookup(address)?.UserId;
        }
    }

    // ---------------------------------------------------------------- deposits

    /// <summary>Stores one deposit. Throws <see cref="SimulatorInputException"/> on bad input (400) or a duplicate tx_hash (409).</summary>
    public DepositRecord InjectDeposit(DepositInjection deposit)
    {
        ArgumentNullException.ThrowIfNull(deposit);
        lock (_gate)
        {
            var prepared = Prepare(deposit, null);
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
                    prepared.Add(Prepare(deposits[i] ?? throw new SimulatorInputException("deposit is null"), batchHashes));
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
        CheckRaw(row);
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
                CheckRaw(rows[i] ?? throw new SimulatorInputException("row is null"));
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
            return _deposits.ToArray();
        }
    }

    /// <summary>Whether the processor already "sees" the deposit (time &lt;= now − lag).</summary>
    public bool IsVisible(DepositRecord deposit)
    {
        ArgumentNullException.ThrowIfNull(deposit);
        lock (_gate)
        {
            return deposit.Time <= VisibleUntilLocked();
        }
    }

    /// <summary>The page GET /v1/deposit/history answers with.</summary>
    public IReadOnlyList<DepositRecord> GetHistory(string userId, int limit, int offset, bool ascending)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_gate)
        {
            var until = VisibleUntilLocked();
            if (!_historyByUser.TryGetValue(userId, out var history))
            {
                return [];
            }

            // Sorted by time: the visible deposits are a prefix.
            var visible = UpperBound(history, until);
            if (offset >= visible)
            {
                return [];
            }

            var count = Math.Min(limit, visible - offset);
            var page = new DepositRecord[count];
            for (var i = 0; i < count; i++)
            {
                page[i] = ascending ? history[offset + i] : history[visible - 1 - offset - i];
            }

            return page;
        }
    }

    /// <summary>Visible income per address of <paramref name="userId"/>, in address creation order.</summary>
    public IReadOnlyList<AddressIncome> GetIncome(string userId)
    {
        lock (_gate)
        {
            if (!_addressesByUser.TryGetValue(userId, out var list))
            {
                return [];
            }

            var until = VisibleUntilLocked();
            return list
                .Select(a => new AddressIncome(a.Address, SumVisible(a.Address, until)))
                .ToArray();
        }
    }

    /// <summary>The first stored visible deposit with this tx hash (case-insensitive), or null.</summary>
    public DepositRecord? FindVisibleDeposit(string txHash)
    {
        lock (_gate)
        {
            var until = VisibleUntilLocked();
            return _byTxHash.TryGetValue(txHash, out var stored) ? stored.FirstOrDefault(d => d.Time <= until) : null;
        }
    }

    /// <summary>Whether any deposit (visible or not) with this tx hash is stored.</summary>
    public bool IsKnownTxHash(string txHash)
    {
        lock (_gate)
        {
            return _byTxHash.ContainsKey(txHash);
        }
    }

    /// <summary>Sum of visible deposits to the address, or null when the simulator did not generate it.</summary>
    public BigInteger? GetVisibleBalance(string address)
    {
        lock (_gate)
        {
            var entry = Lookup(address);
            return entry is null ? null : SumVisible(entry.Address, VisibleUntilLocked());
        }
    }

    // ---------------------------------------------------------------- sync / failures

    /// <summary>is_synced = lag &lt; SyncThresholdSeconds; last_block_gen_utime = now − lag.</summary>
    public SyncStatus GetSyncStatus()
    {
        lock (_gate)
        {
            return new SyncStatus(_lagSeconds < _syncThresholdSeconds, VisibleUntilLocked());
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
        Interlocked.Exchange(ref _historyFailFromOffset, fromOffset);
        _historyFailures.FailNext(count, status);
    }

    /// <summary>Consumes one history failure when one is pending and <paramref name="offset"/> is in its range.</summary>
    public bool TryConsumeHistoryFailure(long offset, out int status)
    {
        status = 0;
        return offset >= Interlocked.Read(ref _historyFailFromOffset) && _historyFailures.TryConsume(out status);
    }

    // ---------------------------------------------------------------- withdrawals

    /// <summary>Stores a pending withdrawal; (user_id, query_id) must be unique.</summary>
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
            if (_withdrawals.Any(w => w.UserId == userId && w.QueryId == queryId))
            {
                throw new SimulatorInputException("(user_id,query_id) not unique");
            }

            var record = new WithdrawalRecord(
                _withdrawals.Count + 1, userId, queryId, currency, amount, destination, comment, "pending");
            _withdrawals.Add(record);
            _changes++;
            return record;
        }
    }

    public WithdrawalRecord? GetWithdrawal(long id)
    {
        lock (_gate)
        {
            return id >= 1 && id <= _withdrawals.Count ? _withdrawals[(int)(id - 1)] : null;
        }
    }

    public IReadOnlyList<WithdrawalRecord> GetWithdrawals()
    {
        lock (_gate)
        {
            return _withdrawals.ToArray();
        }
    }

    // ---------------------------------------------------------------- webhook

    /// <summary>
    /// Sets the push target and (re-)enables pushing; a null or blank endpoint disables it.
    /// </summary>
    public void ConfigureWebhook(string? endpoint, string? token)
    {
        if (!string.IsNullOrWhiteSpace(endpoint)
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            throw new SimulatorInputException("webhook endpoint must be an absolute http(s) URL");
        }

        lock (_gate)
        {
            _webhookGeneration++;
            if (string.IsNullOrWhiteSpace(endpoint))
            {
                _webhookEndpoint = null;
                _webhookToken = null;
                _webhookEnabled = false;
                return;
            }

            _webhookEndpoint = endpoint;
            _webhookToken = token;
            _webhookEnabled = true;
        }
    }

    /// <summary>Deposits that are stored but were not (yet) pushed with a 200 answer.</summary>
    public IReadOnlyList<DepositRecord> GetUnpushedDeposits()
    {
        lock (_gate)
        {
            return _deposits.Where(d => !_pushed.Contains(d.Sequence)).ToArray();
        }
    }

    internal WebhookWork? NextWebhookWork()
    {
        lock (_gate)
        {
            if (!_webhookEnabled || _webhookEndpoint is null)
            {
                return null;
            }

            var until = VisibleUntilLocked();
            var next = _unpushed.Count > 0 ? _unpushed.Min : null;
            if (next is not null && next.Time > until)
            {
                next = null;
            }

            return next is null ? null : new WebhookWork(next, _webhookEndpoint, _webhookToken, _webhookGeneration);
        }
    }

    internal void CompleteWebhookWork(WebhookWork work, bool delivered)
    {
        lock (_gate)
        {
            if (delivered)
            {
                _unpushed.Remove(work.Deposit);
                if (_pushed.Add(work.Deposit.Sequence))
                {
                    _webhookDeliveries++;
                    _changes++;
                }

                return;
            }

            // Like bicycle: any failed push stops pushing until the webhook is configured again.
            // A failure against an endpoint that has since been replaced does not count.
            if (work.Generation == _webhookGeneration)
            {
                _webhookEnabled = false;
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
            _byTxHash.Clear();
            _pushed.Clear();
            _unpushed.Clear();
            _historyByUser.Clear();
            _lagSeconds = 0;
            _failures.Reset();
            _historyFailures.Reset();
            _requests.Clear();
            _webhookDeliveries = 0;
            _changes++;
        }
    }

    // ---------------------------------------------------------------- state file

    /// <summary>How many persistent changes were made since start; moves whenever <see cref="Snapshot"/> would differ.</summary>
    internal long Changes
    {
        get
        {
            lock (_gate)
            {
                return _changes;
            }
        }
    }

    /// <summary>
    /// A consistent copy of what the state file keeps. Only references to immutable records are copied under
    /// the lock; serialising and writing happen outside it.
    /// </summary>
    internal ProcessorSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new ProcessorSnapshot(
                _changes,
                _nextSequence,
                _lagSeconds,
                _addresses.Select(a => new StoredAddress(a.UserId, a.Address)).ToArray(),
                _deposits.ToArray(),
                _unpushed.Select(d => d.Sequence).ToHashSet(),
                _withdrawals.ToArray());
        }
    }

    /// <summary>
    /// Loads a snapshot into this state, which must still be empty, and rebuilds every index. Throws
    /// <see cref="InvalidDataException"/> when the snapshot is inconsistent (the state is then unusable:
    /// start-up is meant to fail).
    /// </summary>
    internal void Restore(ProcessorSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            if (_addresses.Count > 0 || _deposits.Count > 0 || _withdrawals.Count > 0)
            {
                throw new InvalidOperationException("state can only be restored into an empty simulator");
            }

            if (snapshot.LagSeconds < 0)
            {
                throw new InvalidDataException("lag_seconds must be >= 0");
            }

            foreach (var stored in snapshot.Addresses)
            {
                if (string.IsNullOrEmpty(stored.UserId))
                {
                    throw new InvalidDataException($"address {stored.Address}: user_id is empty");
                }

                if (!TonAddress.TryParse(stored.Address, out var info, out var error) || info.Workchain != 0)
                {
                    throw new InvalidDataException($"address '{stored.Address}' is not a basechain address ({error ?? "workchain"})");
                }

                var entry = new AddressEntry(stored.UserId, stored.Address);
                if (!_addressesByAccount.TryAdd(info.AccountId, entry))
                {
                    throw new InvalidDataException($"address {stored.Address} appears twice");
                }

                _addresses.Add(entry);
                if (!_addressesByUser.TryGetValue(stored.UserId, out var list))
                {
                    _addressesByUser[stored.UserId] = list = [];
                }

                list.Add(entry);
            }

            var last = 0L;
            foreach (var deposit in snapshot.Deposits)
            {
                CheckRestored(deposit, last);
                last = deposit.Sequence;
                Index(deposit, pushed: !snapshot.Unpushed.Contains(deposit.Sequence));
            }

            _nextSequence = Math.Max(snapshot.NextSequence, last);
            for (var i = 0; i < snapshot.Withdrawals.Count; i++)
            {
                if (snapshot.Withdrawals[i].Id != i + 1)
                {
                    throw new InvalidDataException($"withdrawal ids must be 1, 2, 3…; found {snapshot.Withdrawals[i].Id} at position {i + 1}");
                }

                _withdrawals.Add(snapshot.Withdrawals[i]);
            }

            _lagSeconds = snapshot.LagSeconds;
        }
    }

    private void CheckRestored(DepositRecord deposit, long previousSequence)
    {
        if (deposit.Sequence <= previousSequence)
        {
            throw new InvalidDataException($"deposit sequences must increase; {deposit.Sequence} follows {previousSequence}");
        }

        if (string.IsNullOrEmpty(deposit.UserId))
        {
            throw new InvalidDataException($"deposit {deposit.Sequence}: user_id is empty");
        }

        if (deposit.Raw is not null)
        {
            if (string.IsNullOrEmpty(deposit.Raw.Income))
            {
                throw new InvalidDataException($"deposit {deposit.Sequence}: raw income is empty");
            }

            return;
        }

        if (Lookup(deposit.DepositAddress) is not { } owner || owner.Address != deposit.DepositAddress || owner.UserId != deposit.UserId)
        {
            throw new InvalidDataException($"deposit {deposit.Sequence}: {deposit.DepositAddress} is not an address of user_id '{deposit.UserId}'");
        }

        if (deposit.Amount <= BigInteger.Zero || deposit.Time < 0 || string.IsNullOrEmpty(deposit.TxHash))
        {
            throw new InvalidDataException($"deposit {deposit.Sequence}: needs amount > 0, time >= 0 and a tx_hash");
        }
    }

    // ---------------------------------------------------------------- internals

    /// <summary>How many deposits of a time-sorted list are dated at or before <paramref name="until"/>.</summary>
    private static int UpperBound(List<DepositRecord> sorted, long until)
    {
        int low = 0, high = sorted.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle].Time <= until)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private long VisibleUntilLocked() => NowUnixSeconds - _lagSeconds;

    private AddressEntry? Lookup(string? address)
    {
        if (address is null)
        {
            return null;
        }

        return TonAddress.TryParse(address, out var info, out _) && info.Workchain == 0
            && _addressesByAccount.TryGetValue(info.AccountId, out var entry)
            ? entry
            : null;
    }

    private BigInteger SumVisible(string address, long until)
    {
        var sum = BigInteger.Zero;
        foreach (var deposit in _deposits)
        {
            if (deposit.Raw is null && deposit.Time <= until && string.Equals(deposit.DepositAddress, address, StringComparison.Ordinal))
            {
                sum += deposit.Amount;
            }
        }

        return sum;
    }

    private PreparedDeposit Prepare(DepositInjection deposit, HashSet<string>? batchHashes)
    {
        AddressEntry entry;
        if (!string.IsNullOrEmpty(deposit.DepositAddress))
        {
            entry = Lookup(deposit.DepositAddress)
                ?? throw new SimulatorInputException("deposit_address was not generated by the simulator");
        }
        else if (!string.IsNullOrEmpty(deposit.UserId))
        {
            if (!_addressesByUser.TryGetValue(deposit.UserId, out var list) || list.Count == 0)
            {
                throw new SimulatorInputException($"user_id '{deposit.UserId}' has no deposit address");
            }

            entry = list[0];
        }
        else
        {
            throw new SimulatorInputException("need deposit_address or user_id");
        }

        if (deposit.Amount <= BigInteger.Zero)
        {
            throw new SimulatorInputException("amount must be > 0");
        }

        if (deposit.Time is < 0)
        {
            throw new SimulatorInputException("time must be >= 0");
        }

        var txHash = string.IsNullOrEmpty(deposit.TxHash)
            ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))
            : deposit.TxHash;
        var alreadyStored = _byTxHash.ContainsKey(txHash) || (batchHashes?.Contains(txHash) ?? false);
        if (alreadyStored && !deposit.Duplicate)
        {
            throw new SimulatorInputException("duplicate tx_hash", StatusCodes.Status409Conflict);
        }

        batchHashes?.Add(txHash);
        return new PreparedDeposit(
            entry,
            deposit.Time ?? NowUnixSeconds,
            deposit.Amount,
            string.IsNullOrEmpty(deposit.Comment) ? null : deposit.Comment,
            string.IsNullOrEmpty(deposit.SourceAddress) ? null : deposit.SourceAddress,
            txHash);
    }

    private DepositRecord Store(PreparedDeposit p)
    {
        var record = new DepositRecord(
            ++_nextSequence, p.Address.UserId, p.Address.Address, p.Time, p.Amount, p.Comment, p.SourceAddress, p.TxHash);
        Index(record, pushed: false);
        _changes++;
        return record;
    }

    private static void CheckRaw(RawDepositInjection row)
    {
        if (string.IsNullOrEmpty(row.UserId))
        {
            throw new SimulatorInputException("user_id must not be empty");
        }

        if (string.IsNullOrEmpty(row.Income))
        {
            throw new SimulatorInputException("income must not be empty");
        }
    }

    private DepositRecord StoreRaw(RawDepositInjection row)
    {
        var record = new DepositRecord(
            ++_nextSequence,
            row.UserId,
            string.Empty,
            NowUnixSeconds,
            BigInteger.Zero,
            null,
            null,
            row.TxHash ?? string.Empty,
            new RawIncome(row.Income, row.WebhookBody));
        Index(record, pushed: false);
        _changes++;
        return record;
    }

    /// <summary>Adds a record to the deposit list, its user's history, the tx_hash index and the push queue (or the pushed set).</summary>
    private void Index(DepositRecord record, bool pushed)
    {
        _deposits.Add(record);
        if (pushed)
        {
            _pushed.Add(record.Sequence);
            _webhookDeliveries++;
        }
        else
        {
            _unpushed.Add(record);
        }

        if (!_historyByUser.TryGetValue(record.UserId, out var history))
        {
            _historyByUser[record.UserId] = history = [];
        }

        // Usually the newest, so appended; a deposit dated earlier goes to its place.
        var at = history.Count > 0 && ChainOrder.Compare(history[^1], record) > 0 ? ~history.BinarySearch(record, ChainOrder) : history.Count;
        history.Insert(at, record);
        if (record.TxHash.Length > 0)
        {
            if (!_byTxHash.TryGetValue(record.TxHash, out var stored))
            {
                _byTxHash[record.TxHash] = stored = [];
            }

            stored.Add(record);
        }
    }

    private sealed record AddressEntry(string UserId, string Address);

    private sealed record PreparedDeposit(
        AddressEntry Address,
        long Time,
        BigInteger Amount,
        string? Comment,
        string? SourceAddress,
        string TxHash);
}

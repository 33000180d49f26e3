namespace TheOpenMoney.Simulators;

/// <summary>
/// The processor's webhook side: where to push (endpoint, token, on/off and a generation that every
/// reconfiguration bumps), which deposits still wait for a push in chain order (so the next push costs
/// O(log n)), which were pushed with a 200, and how many pushes succeeded. Every stored deposit is in exactly
/// one of the two. Not thread-safe: <see cref="ProcessorState"/> calls it under its lock;
/// <see cref="WebhookPusher"/> makes the HTTP calls outside it.
/// </summary>
internal sealed class WebhookPushQueue
{
    private readonly SortedSet<DepositRecord> _unpushed = new(DepositLedger.ChainOrder);
    private readonly HashSet<long> _pushed = [];
    private string? _token;
    private long _generation;

    public string? Endpoint { get; private set; }

    public bool Enabled { get; private set; }

    /// <summary>Pushes answered with 200 (pushed deposits restored from the state file included).</summary>
    public int Deliveries { get; private set; }

    /// <summary>Throws <see cref="SimulatorInputException"/> unless <paramref name="endpoint"/> is blank or an absolute http(s) URL.</summary>
    public static void CheckEndpoint(string? endpoint)
    {
        if (!string.IsNullOrWhiteSpace(endpoint)
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            throw new SimulatorInputException("webhook endpoint must be an absolute http(s) URL");
        }
    }

    /// <summary>Sets the push target and (re-)enables pushing; a null or blank endpoint disables it.</summary>
    public void Configure(string? endpoint, string? token)
    {
        _generation++;
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            Endpoint = null;
            _token = null;
            Enabled = false;
            return;
        }

        Endpoint = endpoint;
        _token = token;
        Enabled = true;
    }

    /// <summary>Queues a newly stored deposit, or marks one restored from the state file as already pushed.</summary>
    public void Track(DepositRecord deposit, bool pushed)
    {
        if (pushed)
        {
            _pushed.Add(deposit.Sequence);
            Deliveries++;
        }
        else
        {
            _unpushed.Add(deposit);
        }
    }

    public bool WasPushed(DepositRecord deposit) => _pushed.Contains(deposit.Sequence);

    /// <summary>Sequences of the deposits still waiting for a push (the push cursor the state file keeps).</summary>
    public HashSet<long> UnpushedSequences() => _unpushed.Select(d => d.Sequence).ToHashSet();

    /// <summary>The earliest waiting deposit dated at or before <paramref name="until"/>, with where to push it; null when pushing is off or nothing is due.</summary>
    public WebhookWork? Next(long until)
    {
        if (!Enabled || Endpoint is null)
        {
            return null;
        }

        var next = _unpushed.Count > 0 ? _unpushed.Min : null;
        if (next is not null && next.Time > until)
        {
            next = null;
        }

        return next is null ? null : new WebhookWork(next, Endpoint, _token, _generation);
    }

    /// <summary>Records how a push ended; true when a deposit became pushed (a change the state file keeps).</summary>
    public bool Complete(WebhookWork work, bool delivered)
    {
        if (delivered)
        {
            _unpushed.Remove(work.Deposit);
            if (_pushed.Add(work.Deposit.Sequence))
            {
                Deliveries++;
                return true;
            }

            return false;
        }

        // Like bicycle: any failed push stops pushing until the webhook is configured again.
        // A failure against an endpoint that has since been replaced does not count.
        if (work.Generation == _generation)
        {
            Enabled = false;
        }

        return false;
    }

    /// <summary>Forgets every deposit and the delivery count; the webhook settings stay.</summary>
    public void Clear()
    {
        _pushed.Clear();
        _unpushed.Clear();
        Deliveries = 0;
    }
}

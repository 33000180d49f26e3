using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace TheOpenMoney.Simulators;

/// <summary>
/// The withdrawals the simulated processor accepted (POST /v1/withdrawal/send), by id 1, 2, 3…, and how they
/// move, as bicycle's withdrawal processor moves them: <c>pending</c> → <c>processing</c> (after
/// <see cref="SimulatorOptions.WithdrawalStepSeconds"/>) → <c>processed</c> with a tx_hash (one more step), or
/// <c>failed</c> when a test planned it (<c>POST /_sim/withdrawals {"fail_next": N}</c>). Nothing moves while
/// the processor is not synced, while a test holds them (<c>{"hold": true}</c>), or while the hot wallet
/// cannot cover the next one (it waits for funds). The hot wallet holds
/// <see cref="SimulatorOptions.HotWalletNanoton"/> plus every deposit swept into it (a deposit is swept
/// <see cref="SimulatorOptions.SweepDelaySeconds"/> after its time; until then its address holds it) minus
/// what was sent (GET /v1/balance); of a jetton (USDT), every deposit of it swept in minus what was sent of it.
/// Not thread-safe: <see cref="ProcessorState"/> calls it under its lock; the records are immutable.
/// </summary>
internal sealed class ProcessorWithdrawals(SimulatorOptions options)
{
    private readonly List<WithdrawalRecord> _all = [];

    public int Count => _all.Count;

    /// <summary>Every withdrawal by id (the live list: copy it before the lock is released).</summary>
    public IReadOnlyList<WithdrawalRecord> All => _all;

    /// <summary>A test holds every withdrawal where it is (none moves).</summary>
    public bool Held { get; set; }

    /// <summary>The next this many withdrawals accepted will end failed.</summary>
    public int FailNext { get; set; }

    /// <summary>How long the answer to a send waits after the withdrawal is stored (a test kills the caller meanwhile).</summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>How long a send waits before it is stored; a caller gone meanwhile leaves nothing stored.</summary>
    public TimeSpan AcceptDelay { get; set; }

    /// <summary>Seconds a deposit takes to be swept to the hot wallet (a test may change it).</summary>
    public long SweepDelaySeconds { get; set; } = options.SweepDelaySeconds;

    /// <summary>Stores a pending withdrawal accepted at <paramref name="now"/>; (user_id, query_id) must be unique.</summary>
    public WithdrawalRecord Add(
        string userId,
        string queryId,
        string currency,
        BigInteger amount,
        string destination,
        string? comment,
        long now)
    {
        if (_all.Any(w => w.UserId == userId && w.QueryId == queryId))
        {
            throw new SimulatorInputException("(user_id,query_id) not unique");
        }

        var failing = FailNext > 0;
        if (failing)
        {
            FailNext--;
        }

        var record = new WithdrawalRecord(
            _all.Count + 1, userId, queryId, currency, amount, destination, comment, "pending", now, failing);
        _all.Add(record);
        return record;
    }

    public WithdrawalRecord? Get(long id) => id >= 1 && id <= _all.Count ? _all[(int)(id - 1)] : null;

    /// <summary>What has been sent for good (processed) of <paramref name="currency"/>.</summary>
    public BigInteger Sent(string currency = ProcessorCurrencies.Ton) => Total("processed", currency);

    /// <summary>Queued to leave of <paramref name="currency"/>: (pending, processing) totals.</summary>
    public (BigInteger Pending, BigInteger Processing) Queued(string currency = ProcessorCurrencies.Ton) =>
        (Total("pending", currency), Total("processing", currency));

    private BigInteger Total(string status, string currency) =>
        _all.Where(w => w.Status == status && w.Currency == currency).Aggregate(BigInteger.Zero, (sum, w) => sum + w.Amount);

    /// <summary>
    /// Moves every withdrawal as far as <paramref name="now"/> allows, oldest first; <paramref name="hotWallet"/>
    /// says what the hot wallet holds of a currency before anything more is sent (TON, or a jetton: each withdrawal
    /// is paid from its own currency's holding). True when something moved.
    /// </summary>
    public bool Advance(long now, bool synced, Func<string, BigInteger> hotWallet)
    {
        var holding = new Dictionary<string, BigInteger>(StringComparer.Ordinal);
        if (Held || !synced)
        {
            return false;
        }

        var step = Math.Max(0, options.WithdrawalStepSeconds);
        var moved = false;
        for (var i = 0; i < _all.Count; i++)
        {
            var w = _all[i];
            if (w.Status == "pending" && now >= w.AcceptedAt + step)
            {
                w = w with { Status = "processing" };
            }

            if (w.Status == "processing" && now >= w.AcceptedAt + (2 * step))
            {
                if (w.FailPlanned)
                {
                    w = w with { Status = "failed" };
                }
                else if ((holding.TryGetValue(w.Currency, out var held) ? held : holding[w.Currency] = hotWallet(w.Currency)) >= w.Amount)
                {
                    holding[w.Currency] -= w.Amount;
                    w = w with { Status = "processed", TxHash = TxHashOf(w) };
                }
            }

            if (!ReferenceEquals(w, _all[i]))
            {
                _all[i] = w;
                moved = true;
            }
        }

        return moved;
    }

    /// <summary>Loads the withdrawals read from the state file; throws <see cref="InvalidDataException"/> unless their ids are 1, 2, 3….</summary>
    public void Restore(IReadOnlyList<WithdrawalRecord> withdrawals)
    {
        for (var i = 0; i < withdrawals.Count; i++)
        {
            if (withdrawals[i].Id != i + 1)
            {
                throw new InvalidDataException($"withdrawal ids must be 1, 2, 3…; found {withdrawals[i].Id} at position {i + 1}");
            }

            _all.Add(withdrawals[i]);
        }
    }

    /// <summary>A made-up but stable transaction hash (64 hex digits) for a processed withdrawal.</summary>
    private static string TxHashOf(WithdrawalRecord w) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"withdrawal:{w.Id}:{w.QueryId}:{w.Destination}:{w.Amount}")));
}

using System.Numerics;

namespace TheOpenMoney.Simulators;

/// <summary>
/// The withdrawals the simulated processor accepted (POST /v1/withdrawal/send), by id 1, 2, 3… Today each stays
/// pending forever and only the pending total shows in GET /v1/balance.
/// <para>
/// Money out lands here: processor withdrawals that move (status changes for GET /v1/withdrawal/status, a
/// balance that withdrawals reduce for GET /v1/balance and GET /v1/income, seed 003) belong in this class, with
/// their control routes beside the others in <see cref="SimControlApi"/>; whatever they add to the state file
/// goes through <see cref="ProcessorSnapshot.Withdrawals"/>.
/// </para>
/// Not thread-safe: <see cref="ProcessorState"/> calls it under its lock; the records are immutable.
/// </summary>
internal sealed class ProcessorWithdrawals
{
    private readonly List<WithdrawalRecord> _all = [];

    public int Count => _all.Count;

    /// <summary>Every withdrawal by id (the live list: copy it before the lock is released).</summary>
    public IReadOnlyList<WithdrawalRecord> All => _all;

    /// <summary>Stores a pending withdrawal; (user_id, query_id) must be unique.</summary>
    public WithdrawalRecord Add(
        string userId,
        string queryId,
        string currency,
        BigInteger amount,
        string destination,
        string? comment)
    {
        if (_all.Any(w => w.UserId == userId && w.QueryId == queryId))
        {
            throw new SimulatorInputException("(user_id,query_id) not unique");
        }

        var record = new WithdrawalRecord(
            _all.Count + 1, userId, queryId, currency, amount, destination, comment, "pending");
        _all.Add(record);
        return record;
    }

    public WithdrawalRecord? Get(long id) => id >= 1 && id <= _all.Count ? _all[(int)(id - 1)] : null;

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
}

namespace TheOpenMoney.Simulators;

/// <summary>
/// The state file's side of <see cref="ProcessorState"/>: a consistent snapshot of every part under the lock
/// (the persister serialises and writes it outside), and the restore that rebuilds every part and index from
/// one at start-up. The file's format is <see cref="ProcessorStateFile"/>'s.
/// </summary>
public sealed partial class ProcessorState
{
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
                _deposits.LastSequence,
                _lag.Seconds,
                _addresses.ToStored(),
                _deposits.All.ToArray(),
                _pushes.UnpushedSequences(),
                _withdrawals.All.ToArray());
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
                if (!_currencies.Contains(stored.Currency, StringComparer.Ordinal))
                {
                    throw new InvalidDataException($"address {stored.Address}: currency {stored.Currency} is not in Simulator:Currencies");
                }

                _addresses.Restore(stored);
            }

            var last = 0L;
            foreach (var deposit in snapshot.Deposits)
            {
                if (!_currencies.Contains(deposit.Currency, StringComparer.Ordinal))
                {
                    throw new InvalidDataException($"deposit {deposit.Sequence}: currency {deposit.Currency} is not in Simulator:Currencies");
                }

                _deposits.Restore(deposit, last);
                _pushes.Track(deposit, pushed: !snapshot.Unpushed.Contains(deposit.Sequence));
                last = deposit.Sequence;
            }

            _deposits.RestoreLastSequence(Math.Max(snapshot.NextSequence, last));
            _withdrawals.Restore(snapshot.Withdrawals);
            _lag.Seconds = snapshot.LagSeconds;
        }
    }
}

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// The attempts this instance has in flight, per partner and in all, and a signal when one ends: the
/// delivery job claims only what fits (<see cref="WebhookOptions.PerEndpointConcurrency"/> per endpoint,
/// <see cref="WebhookOptions.MaxConcurrency"/> in all) and claims again as soon as a slot frees, so a fast
/// endpoint's pipe stays full while a slow one holds only its own slots.
/// </summary>
public sealed class WebhookInFlight
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, int> _byPartner = [];
    private TaskCompletionSource _slotFreed = NewSignal();
    private int _total;

    public int Total
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>Partners with attempts in flight and how many.</summary>
    public (long[] Partners, int[] Counts) Snapshot()
    {
        lock (_gate)
        {
            return ([.. _byPartner.Keys], [.. _byPartner.Values]);
        }
    }

    public void Started(long partnerId)
    {
        lock (_gate)
        {
            _byPartner[partnerId] = _byPartner.GetValueOrDefault(partnerId) + 1;
            _total++;
        }
    }

    public void Ended(long partnerId)
    {
        TaskCompletionSource freed;
        lock (_gate)
        {
            var left = _byPartner[partnerId] - 1;
            if (left == 0)
            {
                _byPartner.Remove(partnerId);
            }
            else
            {
                _byPartner[partnerId] = left;
            }

            _total--;
            freed = _slotFreed;
            _slotFreed = NewSignal();
        }

        freed.TrySetResult();
    }

    /// <summary>Completes when an attempt ends, or after <paramref name="atMost"/>.</summary>
    public Task SlotFreedAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_gate)
        {
            signal = _slotFreed.Task;
        }

        return Task.WhenAny(signal, Task.Delay(atMost, cancellationToken));
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>
/// One database transaction per state change, on the scope's <see cref="AppDbContext"/> (a request,
/// or one step of a background job). <see cref="RunAsync{T}"/> opens it, or joins the one already
/// open in this scope, so a step that is whole on its own (an order's transition) is also a part of a
/// larger one (creating an order under an idempotency key). Whatever must only be said once the change
/// is durable (metrics) is queued with <see cref="AfterCommit"/> and runs after the outermost commit;
/// a rollback drops it.
/// </summary>
public sealed class UnitOfWork(AppDbContext db, IEnumerable<ITransactionParticipant> participants)
{
    private List<Action>? _afterCommit;

    /// <summary>Runs <paramref name="work"/> in the open transaction, or in a new one committed when it returns.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (db.Database.CurrentTransaction is not null)
        {
            return await work(cancellationToken);
        }

        T result;
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            foreach (var participant in participants)
            {
                await participant.BegunAsync(cancellationToken);
            }

            result = await work(cancellationToken);
            foreach (var participant in participants)
            {
                await participant.CommittingAsync(result, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            _afterCommit = null;
            throw;
        }

        var committed = _afterCommit;
        _afterCommit = null;
        committed?.ForEach(action => action());
        return result;
    }

    /// <summary>Runs <paramref name="action"/> once the transaction open in this scope commits (at once when none is open).</summary>
    public void AfterCommit(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (db.Database.CurrentTransaction is null)
        {
            action();
            return;
        }

        (_afterCommit ??= []).Add(action);
    }
}

/// <summary>
/// Takes part in every transaction <see cref="UnitOfWork"/> opens in its scope: told first thing after
/// BEGIN, and handed the work's result before COMMIT (an idempotent request claims its key and stores
/// its response this way). Scoped.
/// </summary>
public interface ITransactionParticipant
{
    Task BegunAsync(CancellationToken cancellationToken);

    Task CommittingAsync(object? result, CancellationToken cancellationToken);
}

using TheOpenMoney.Api.Infrastructure.Json;

namespace TheOpenMoney.Api.Infrastructure.Idempotency;

/// <summary>
/// The idempotent request of this scope, if any (set by <see cref="IdempotentAttribute"/>), taking part
/// in the transaction <see cref="UnitOfWork"/> opens for it: the key is claimed first thing after BEGIN,
/// and the success envelope of what the transaction returns is stored with the key before COMMIT. So
/// the change and its answer commit together, or neither does and the key can be used again.
/// Services never see any of it; background scopes have no request and nothing happens.
/// </summary>
public sealed class IdempotencyScope(IdempotencyStore store) : ITransactionParticipant
{
    private bool _claimed;

    public IdempotentRequest? Request { get; private set; }

    /// <summary>The answer stored with the key once the change committed; null before.</summary>
    public byte[]? StoredBody { get; private set; }

    public void Begin(IdempotentRequest request) => Request = request;

    public async Task BegunAsync(CancellationToken cancellationToken)
    {
        if (Request is null || _claimed)
        {
            return;
        }

        if (await store.ClaimAsync(Request, cancellationToken) is { } replay)
        {
            throw new IdempotentReplayException(replay);
        }

        _claimed = true;
    }

    public async Task CommittingAsync(object? result, CancellationToken cancellationToken)
    {
        if (Request is null || !_claimed || StoredBody is not null)
        {
            return;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(ApiResponse.Of(result), JsonDefaults.Shared);
        await store.StoreAsync(Request, body, cancellationToken);
        StoredBody = body;
    }
}

/// <summary>Another request with the same key committed while this one waited: its answer is the answer (the filter writes it).</summary>
public sealed class IdempotentReplayException(IdempotentResponse response) : Exception("answered by an earlier request with the same Idempotency-Key")
{
    public IdempotentResponse Response { get; } = response;
}

namespace TheOpenMoney.Api.Partners;

/// <summary>
/// Resolves a presented key to its partner: from <see cref="ApiKeyCache"/> when this process has seen it and
/// revocations are being heard (a revoked key fails on every instance within about a second), otherwise one
/// indexed lookup by HMAC. <c>last_used_at</c> is written at most once per
/// <see cref="ApiKeyOptions.LastUsedWriteInterval"/> per process (guarded in SQL, so concurrent requests do not
/// all write). Both statements go over the multiplexed read connections (<see cref="DataSources.Reads"/>).
/// </summary>
public sealed class ApiKeyAuthenticator(
    [FromKeyedServices(DataSources.Reads)] NpgsqlDataSource dataSource,
    ApiKeyHasher hasher,
    ApiKeyCache cache,
    TimeProvider time,
    IOptions<ApiKeyOptions> options)
{
    /// <param name="KeyId">The key's row.</param>
    /// <param name="PartnerId">Its partner (a test key's is the test twin).</param>
    /// <param name="Prefix">Its display prefix.</param>
    /// <param name="Livemode">False for an <c>osk_test_</c> key: its partner is a test twin (simulated money).</param>
    public sealed record AuthenticatedKey(long KeyId, long PartnerId, string Prefix, bool Livemode);

    public async Task<AuthenticatedKey?> AuthenticateAsync(string presentedKey, CancellationToken cancellationToken)
    {
        if (!ApiKeyHasher.HasKeyShape(presentedKey))
        {
            return null;
        }

        var hash = hasher.Hash(presentedKey);
        var cacheKey = Convert.ToHexStringLower(hash);
        if (cache.TryGet(cacheKey, out var cached))
        {
            cached.LastUsedAt = await TouchIfDueAsync(cached.Key.KeyId, cached.LastUsedAt, cancellationToken);
            return cached.Key;
        }

        var epoch = cache.Epoch;
        AuthenticatedKey key;
        DateTimeOffset? lastUsedAt;
        await using (var lookup = dataSource.CreateCommand(
            "SELECT id, partner_id, prefix, last_used_at, livemode FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"))
        {
            lookup.Parameters.Add(new NpgsqlParameter { Value = hash });
            await using var reader = await lookup.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            key = new AuthenticatedKey(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetBoolean(4));
            lastUsedAt = reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3);
        }

        lastUsedAt = await TouchIfDueAsync(key.KeyId, lastUsedAt, cancellationToken);
        cache.Add(cacheKey, key, lastUsedAt, epoch);
        return key;
    }

    /// <summary>Writes <c>last_used_at</c> when it is older than the write interval (guarded in SQL, so concurrent requests do not all write); returns what it is now known to be.</summary>
    private async Task<DateTimeOffset?> TouchIfDueAsync(long keyId, DateTimeOffset? lastUsedAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var threshold = now - options.Value.LastUsedWriteInterval;
        if (lastUsedAt is not null && lastUsedAt > threshold)
        {
            return lastUsedAt;
        }

        await using var touch = dataSource.CreateCommand(
            "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)");
        touch.Parameters.Add(new NpgsqlParameter { Value = keyId });
        touch.Parameters.Add(new NpgsqlParameter { Value = now });
        touch.Parameters.Add(new NpgsqlParameter { Value = threshold });
        await touch.ExecuteNonQueryAsync(cancellationToken);
        return now;
    }
}

namespace TheOpenMoney.Api.TonRamp;

/// <summary>
/// An exact moving-window limit shared by every instance: at most <c>limit</c> permits in ANY window of
/// <c>window</c> length (a log of grant times in PostgreSQL, <c>tonramp_permits</c>, taken under an advisory lock
/// by <c>tonramp_take_permit</c>, migration 0016), so the requests all instances send together never exceed a
/// provider's published limit. TonRamp's rates are tens a minute: one short statement per request is nothing. It
/// goes over the multiplexed connections (<see cref="DataSources.Reads"/>): a permit is taken inside the order's
/// transaction, which already holds a pooled connection, so a burst never waits for a second one.
/// </summary>
public sealed class SlidingLogLimiter(NpgsqlDataSource dataSource, string kind, int limit, TimeSpan window, TimeProvider time)
{
    /// <summary>Takes a permit now; otherwise says how long until one frees up.</summary>
    public async Task<(bool Granted, TimeSpan RetryAfter)> TryAcquireAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var command = dataSource.CreateCommand("SELECT tonramp_take_permit($1, $2, $3, $4)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = window });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (reader.IsDBNull(0))
        {
            return (true, TimeSpan.Zero);
        }

        var freeAt = reader.GetFieldValue<DateTimeOffset>(0);
        return (false, freeAt > now ? freeAt - now : TimeSpan.FromMilliseconds(1));
    }

    /// <summary>Permits granted (by any instance) in the last window.</summary>
    public async Task<long> InUseAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM tonramp_permits WHERE kind = $1 AND granted_at > $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() - window });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

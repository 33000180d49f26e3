using StackExchange.Redis;

namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>What a lease got: permits granted, what all instances have taken in the window, and when the window ends.</summary>
public readonly record struct LeaseGrant(int Granted, int Taken, DateTimeOffset WindowEnd);

/// <summary>
/// Where every instance's limits are counted: PostgreSQL by default (nothing else to run), Redis when
/// <c>Redis:Configuration</c> is set. Both keep the same two things with the same rules: fixed windows anchored at a
/// bucket's first request, leased in batches (never more than the limit), and exact moving-window logs (TonRamp).
/// </summary>
public interface ILimitStore
{
    /// <summary>Takes up to <paramref name="want"/> permits of <paramref name="limit"/> from the bucket's window in force at <paramref name="now"/>.</summary>
    Task<LeaseGrant> LeaseAsync(string bucket, DateTimeOffset now, TimeSpan window, int want, int limit, CancellationToken cancellationToken);

    /// <summary>A permit of a moving window now (null), or the instant one frees up.</summary>
    Task<DateTimeOffset?> TakeMovingAsync(string log, DateTimeOffset now, TimeSpan window, int limit, CancellationToken cancellationToken);

    /// <summary>Permits of the moving window granted in the last <paramref name="window"/>.</summary>
    Task<long> MovingInUseAsync(string log, DateTimeOffset now, TimeSpan window, CancellationToken cancellationToken);
}

/// <summary>
/// The limits in PostgreSQL (migration 0016: <c>rate_limit_lease</c>, <c>tonramp_take_permit</c>), over the
/// multiplexed connections: a lease may be taken inside a request's transaction (TonRamp's, in the order's), which
/// already holds a pooled connection, so a burst never waits for a second one.
/// </summary>
public sealed class PostgresLimitStore([FromKeyedServices(DataSources.Reads)] NpgsqlDataSource dataSource) : ILimitStore
{
    public async Task<LeaseGrant> LeaseAsync(string bucket, DateTimeOffset now, TimeSpan window, int want, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT granted, taken, window_start FROM rate_limit_lease($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = bucket });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = window });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = want });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new LeaseGrant(reader.GetInt32(0), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2) + window);
    }

    public async Task<DateTimeOffset?> TakeMovingAsync(string log, DateTimeOffset now, TimeSpan window, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT tonramp_take_permit($1, $2, $3, $4)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = log });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = window });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0);
    }

    public async Task<long> MovingInUseAsync(string log, DateTimeOffset now, TimeSpan window, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM tonramp_permits WHERE kind = $1 AND granted_at > $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = log });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now - window });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

/// <summary>
/// The limits in Redis (<c>Redis:Configuration</c>, StackExchange.Redis): each operation is one Lua script, so it is
/// atomic on the server, with the same rules as <see cref="PostgresLimitStore"/>. Keys carry a prefix
/// (<c>Redis:KeyPrefix</c>, default <c>tom:</c>) and expire with their window.
/// </summary>
public sealed class RedisLimitStore(IConnectionMultiplexer redis, IOptions<RedisOptions> options) : ILimitStore
{
    // KEYS[1] bucket hash; ARGV: now (ms), window (ms), want, limit. Returns {granted, taken, window_start (ms)}.
    private static readonly LuaScript Lease = LuaScript.Prepare(
        """
        local now = tonumber(@now)
        local window = tonumber(@window)
        local start = tonumber(redis.call('HGET', @bucket, 'start') or '-1')
        local taken = tonumber(redis.call('HGET', @bucket, 'taken') or '0')
        if start < 0 or start + window <= now then
          start = now
          taken = 0
        end
        local granted = math.max(0, math.min(tonumber(@want), tonumber(@limit) - taken))
        taken = taken + granted
        redis.call('HSET', @bucket, 'start', start, 'taken', taken)
        redis.call('PEXPIREAT', @bucket, start + 2 * window)
        return {granted, taken, start}
        """);

    // A sorted set of grant times (ms); ARGV: now, window, limit, a unique member. Returns -1 (granted) or the ms a permit frees up.
    private static readonly LuaScript Moving = LuaScript.Prepare(
        """
        local now = tonumber(@now)
        local window = tonumber(@window)
        redis.call('ZREMRANGEBYSCORE', @log, '-inf', now - window)
        if redis.call('ZCARD', @log) < tonumber(@limit) then
          redis.call('ZADD', @log, now, @member)
          redis.call('PEXPIRE', @log, window * 2)
          return -1
        end
        local oldest = redis.call('ZRANGE', @log, 0, 0, 'WITHSCORES')
        return tonumber(oldest[2]) + window
        """);

    private string Key(string name) => options.Value.KeyPrefix + name;

    /// <summary>Redis out of reach (or too slow: every call is bounded) is a 503 with <c>Retry-After</c>, like the database's.</summary>
    private static async Task<T> ReachAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RedisException)
        {
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "the limits store is unavailable right now; retry shortly")
            {
                RetryAfterSeconds = 1,
            };
        }
    }

    public Task<LeaseGrant> LeaseAsync(string bucket, DateTimeOffset now, TimeSpan window, int want, int limit, CancellationToken cancellationToken) =>
        ReachAsync(() => LeaseOnceAsync(bucket, now, window, want, limit));

    public Task<DateTimeOffset?> TakeMovingAsync(string log, DateTimeOffset now, TimeSpan window, int limit, CancellationToken cancellationToken) =>
        ReachAsync(() => TakeMovingOnceAsync(log, now, window, limit));

    public Task<long> MovingInUseAsync(string log, DateTimeOffset now, TimeSpan window, CancellationToken cancellationToken) =>
        ReachAsync(() => redis.GetDatabase().SortedSetLengthAsync(Key("moving:" + log), now.ToUnixTimeMilliseconds() - window.TotalMilliseconds, double.PositiveInfinity, Exclude.Start));

    private async Task<LeaseGrant> LeaseOnceAsync(string bucket, DateTimeOffset now, TimeSpan window, int want, int limit)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Lease, new
        {
            bucket = (RedisKey)Key("limit:" + bucket),
            now = now.ToUnixTimeMilliseconds(),
            window = (long)window.TotalMilliseconds,
            want,
            limit,
        }))!;
        return new LeaseGrant((int)result[0], (int)result[1], DateTimeOffset.FromUnixTimeMilliseconds((long)result[2]) + window);
    }

    private async Task<DateTimeOffset?> TakeMovingOnceAsync(string log, DateTimeOffset now, TimeSpan window, int limit)
    {
        var freeAt = (long)(await redis.GetDatabase().ScriptEvaluateAsync(Moving, new
        {
            log = (RedisKey)Key("moving:" + log),
            now = now.ToUnixTimeMilliseconds(),
            window = (long)window.TotalMilliseconds,
            limit,
            member = Guid.NewGuid().ToString("N"),
        }));
        return freeAt < 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(freeAt);
    }
}

/// <summary>Configuration section <c>Redis</c>: when <see cref="Configuration"/> is set, the limits are counted in Redis instead of PostgreSQL.</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>A StackExchange.Redis configuration string (<c>host:port,password=…</c>); unset: PostgreSQL counts the limits.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every key this service writes.</summary>
    public string KeyPrefix { get; set; } = "tom:";
}

using System.Collections.Concurrent;

namespace TheOpenMoney.Api.Partners;

/// <summary>
/// The keys this process has authenticated, so a keyed request rarely pays a database round trip for its
/// key. Correct across instances because it is trusted only while <see cref="ApiKeyRevocationListener"/>
/// listens: every revocation anywhere is announced by the database (<c>NOTIFY api_keys_changed</c>, from a
/// trigger) and drops the key here; while the listening connection is down the cache is bypassed and emptied,
/// and it is emptied again when listening resumes (notifications sent meanwhile were missed). A lookup that
/// raced an invalidation is not stored (<see cref="Epoch"/>), so an entry can never outlive a revocation that
/// arrived while it was being read. Bounded: past <see cref="ApiKeyOptions.CacheSize"/> entries it starts
/// afresh; each entry also expires after <see cref="ApiKeyOptions.CacheTtl"/>.
/// </summary>
public sealed class ApiKeyCache(IOptions<ApiKeyOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _epoch;
    private volatile bool _trusted;

    /// <summary>True while revocations reach this process (the listener is connected): only then is the cache used.</summary>
    public bool Trusted => _trusted;

    /// <summary>Changes with every invalidation; read it before a database lookup and pass it to <see cref="Add"/>.</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    public int Count => _entries.Count;

    public bool TryGet(string keyHash, out Entry entry)
    {
        entry = null!;
        if (!_trusted || !options.Value.CacheEnabled || !_entries.TryGetValue(keyHash, out var found))
        {
            return false;
        }

        if (time.GetUtcNow() - found.CachedAt > options.Value.CacheTtl)
        {
            _entries.TryRemove(keyHash, out _);
            return false;
        }

        entry = found;
        return true;
    }

    /// <summary>Stores a key just read from the database, unless an invalidation came since <paramref name="epochBeforeRead"/> or nothing listens.</summary>
    public void Add(string keyHash, ApiKeyAuthenticator.AuthenticatedKey key, DateTimeOffset? lastUsedAt, long epochBeforeRead)
    {
        var settings = options.Value;
        if (!_trusted || !settings.CacheEnabled || Epoch != epochBeforeRead)
        {
            return;
        }

        if (_entries.Count >= settings.CacheSize)
        {
            _entries.Clear();
        }

        _entries[keyHash] = new Entry(key, time.GetUtcNow(), lastUsedAt);

        // An invalidation between the check above and the store: undo it (the next request reads the database).
        if (Epoch != epochBeforeRead)
        {
            _entries.TryRemove(keyHash, out _);
        }
    }

    /// <summary>A key was revoked or replaced (a notification, or this process did it).</summary>
    public void Invalidate(string keyHash)
    {
        Interlocked.Increment(ref _epoch);
        _entries.TryRemove(keyHash, out _);
    }

    /// <summary>This process revoked or issued keys itself: forget every cached key now, not only when the notification arrives.</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _epoch);
        _entries.Clear();
    }

    /// <summary>Revocations may no longer reach this process: stop using the cache, and forget it.</summary>
    public void Distrust()
    {
        _trusted = false;
        Interlocked.Increment(ref _epoch);
        _entries.Clear();
    }

    /// <summary>Listening again: start from empty (what was revoked meanwhile was never heard) and use the cache.</summary>
    public void Trust()
    {
        Interlocked.Increment(ref _epoch);
        _entries.Clear();
        _trusted = true;
    }

    /// <summary>A cached key, with when it was cached and when its <c>last_used_at</c> was last written.</summary>
    public sealed class Entry(ApiKeyAuthenticator.AuthenticatedKey key, DateTimeOffset cachedAt, DateTimeOffset? lastUsedAt)
    {
        public ApiKeyAuthenticator.AuthenticatedKey Key { get; } = key;

        public DateTimeOffset CachedAt { get; } = cachedAt;

        public DateTimeOffset? LastUsedAt { get; set; } = lastUsedAt;
    }
}

using TheOpenMoney.Api.Balance;

namespace TheOpenMoney.Api.Partners;

/// <summary>
/// Creates partners and issues/revokes their keys (used by the operator CLI and the bot). A live key
/// (<c>osk_</c>) belongs to the partner; a test key (<c>osk_test_</c>) to its test twin, a partners row of
/// its own (<c>livemode = false</c>, made on the first test key), so everything scoped by partner keeps
/// test data and live data apart. Each mode has at most one active key, independent of the other's.
/// </summary>
public sealed class PartnerKeyService(AppDbContext db, ApiKeyHasher hasher, BalanceLedger ledger, ApiKeyCache cache, TimeProvider time)
{
    public sealed record IssuedKey(long PartnerId, string Plaintext, string Prefix, DateTimeOffset CreatedAt);

    public sealed record KeyInfo(long Id, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

    /// <summary>Either a key was issued now (<see cref="Issued"/>) or one was already active (<see cref="Active"/>).</summary>
    public sealed record KeyRequestOutcome(IssuedKey? Issued, KeyInfo? Active);

    /// <summary>
    /// Creates the partner when new (keeping its username current), revokes its active key if
    /// any, and issues a new one: all in one transaction. The partner row lock taken by the
    /// upsert serialises concurrent calls for one partner; the partial unique index backs it up.
    /// </summary>
    public Task<IssuedKey> IssueAsync(long telegramUserId, string? username, CancellationToken cancellationToken) =>
        IssueAsync(telegramUserId, username, livemode: true, cancellationToken);

    /// <summary>As <see cref="IssueAsync(long, string?, CancellationToken)"/>, for a live key or a test key (the test twin's, made when new).</summary>
    public async Task<IssuedKey> IssueAsync(long telegramUserId, string? username, bool livemode, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(telegramUserId);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var partnerId = await UpsertPartnerAsync(telegramUserId, username, livemode, now, cancellationToken);
        await ledger.EnsureAccountAsync(partnerId, cancellationToken);
        await db.ApiKeys
            .Where(k => k.PartnerId == partnerId && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), cancellationToken);

        var issued = await AddKeyAsync(partnerId, livemode, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // The old key fails on this instance at once; the others hear it from the database (NOTIFY api_keys_changed).
        cache.InvalidateAll();
        return issued;
    }

    /// <summary>
    /// The bot's <c>/api</c>: creates the partner when new (keeping its username current) and issues
    /// a key only when it has no active one; otherwise returns the active key's details and issues
    /// nothing. One transaction: the partner row lock taken by the upsert serialises concurrent
    /// calls for one partner, so two requests never both issue.
    /// </summary>
    public async Task<KeyRequestOutcome> IssueIfNoneActiveAsync(long telegramUserId, string? username, bool livemode, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(telegramUserId);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var partnerId = await UpsertPartnerAsync(telegramUserId, username, livemode, now, cancellationToken);
        await ledger.EnsureAccountAsync(partnerId, cancellationToken);
        var active = await db.ApiKeys.AsNoTracking()
            .Where(k => k.PartnerId == partnerId && k.RevokedAt == null)
            .Select(k => new KeyInfo(k.Id, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt))
            .FirstOrDefaultAsync(cancellationToken);
        if (active is not null)
        {
            await transaction.CommitAsync(cancellationToken);
            return new KeyRequestOutcome(null, active);
        }

        var issued = await AddKeyAsync(partnerId, livemode, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new KeyRequestOutcome(issued, null);
    }

    /// <summary>Keeps a known partner's username current (a missing username keeps the stored one); no-op for unknown users.</summary>
    public async Task UpdateUsernameAsync(long telegramUserId, string? username, CancellationToken cancellationToken)
    {
        var cleanUsername = CleanUsername(username);
        if (cleanUsername is null)
        {
            return;
        }

        var now = time.GetUtcNow();
        await db.Partners
            .Where(p => p.TelegramUserId == telegramUserId && (p.Username == null || p.Username != cleanUsername))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Username, cleanUsername).SetProperty(p => p.UpdatedAt, now), cancellationToken);
    }

    /// <summary>The (live) partner's id for a Telegram user, or null when there is no such partner.</summary>
    public async Task<long?> FindPartnerIdAsync(long telegramUserId, CancellationToken cancellationToken) =>
        await db.Partners.AsNoTracking().Where(p => p.TelegramUserId == telegramUserId && p.Livemode).Select(p => (long?)p.Id).FirstOrDefaultAsync(cancellationToken);

    /// <summary>Revokes the partner's active key of that mode (the other mode's key keeps working); returns how many keys were revoked (0 or 1).</summary>
    public async Task<int> RevokeAsync(long telegramUserId, bool livemode, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var revoked = await db.ApiKeys
            .Where(k => k.Partner!.TelegramUserId == telegramUserId && k.Livemode == livemode && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), cancellationToken);
        cache.InvalidateAll();
        return revoked;
    }

    /// <summary>The partner's keys, newest first (never the key itself: it is not stored).</summary>
    public async Task<IReadOnlyList<KeyInfo>> ListKeysAsync(long telegramUserId, CancellationToken cancellationToken) =>
        await db.ApiKeys.AsNoTracking()
            .Where(k => k.Partner!.TelegramUserId == telegramUserId)
            .OrderByDescending(k => k.Id)
            .Select(k => new KeyInfo(k.Id, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt))
            .ToListAsync(cancellationToken);

    private static string? CleanUsername(string? username) =>
        string.IsNullOrWhiteSpace(username) ? null : username.Trim().TrimStart('@');

    /// <summary>Adds a new key for the partner inside the caller's transaction (which must have revoked any active one).</summary>
    private async Task<IssuedKey> AddKeyAsync(long partnerId, bool livemode, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = hasher.Generate(livemode);
        db.ApiKeys.Add(new ApiKey { PartnerId = partnerId, KeyHash = key.Hash, Prefix = key.Prefix, Livemode = livemode, CreatedAt = now });
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return new IssuedKey(partnerId, key.Plaintext, key.Prefix, now);
    }

    /// <summary>
    /// The live partner of the Telegram user (created when new), or, for a test key, its test twin (created
    /// on the first test key, with the live partner's Telegram user and username). Either way the live
    /// partner's row is locked, so concurrent calls for one Telegram user queue.
    /// </summary>
    private async Task<long> UpsertPartnerAsync(long telegramUserId, string? username, bool livemode, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cleanUsername = CleanUsername(username);
        var ids = await db.Database.SqlQuery<long>(
            $"""
            INSERT INTO partners (telegram_user_id, username, created_at, updated_at)
            VALUES ({telegramUserId}, {cleanUsername}, {now}, {now})
            ON CONFLICT (telegram_user_id) WHERE livemode DO UPDATE
               SET username = COALESCE(EXCLUDED.username, partners.username),
                   updated_at = EXCLUDED.updated_at
            RETURNING id AS "Value"
            """).ToListAsync(cancellationToken);
        if (livemode)
        {
            return ids[0];
        }

        var twins = await db.Database.SqlQuery<long>(
            $"""
            INSERT INTO partners (telegram_user_id, username, livemode, live_partner_id, created_at, updated_at)
            SELECT telegram_user_id, username, false, id, {now}, {now} FROM partners WHERE id = {ids[0]}
            ON CONFLICT (live_partner_id) WHERE live_partner_id IS NOT NULL DO UPDATE
               SET username = EXCLUDED.username, updated_at = EXCLUDED.updated_at
            RETURNING id AS "Value"
            """).ToListAsync(cancellationToken);
        return twins[0];
    }
}

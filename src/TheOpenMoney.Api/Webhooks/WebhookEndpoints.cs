using TheOpenMoney.Api.Infrastructure.Paging;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// A partner's one webhook endpoint: register or replace it, read it (never its secret), delete it,
/// rotate its secret, send a ping, list and redeliver attempts. Secrets are stored encrypted
/// (<see cref="WebhookSecretProtector"/>) and returned only when issued.
/// </summary>
public sealed class WebhookEndpoints(
    NpgsqlDataSource dataSource,
    AppDbContext db,
    UnitOfWork unitOfWork,
    WebhookSecretProtector protector,
    WebhookAddressGuard guard,
    TimeProvider time,
    IOptions<WebhookOptions> options)
{
    /// <summary>Checks the URL (syntax, then where its host resolves now); null when it may be used.</summary>
    public async Task<string?> UrlProblemAsync(string? url, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (WebhookUrlPolicy.SyntaxProblem(url, settings.AllowInsecureUrls) is { } syntax)
        {
            return syntax;
        }

        return await guard.HostProblemAsync(new Uri(url!), settings.AllowPrivateNetworks, cancellationToken);
    }

    /// <summary>
    /// Creates the endpoint (with a new secret, returned once) or replaces its URL and types (the secret
    /// stays; enabled again). A new URL or a re-enabled endpoint starts with its circuit open: the delivery
    /// due first is tried now, one attempt at a time, and the first 2xx makes the rest due (the worker does
    /// that). Every delivery keeps its <c>first_queued_at</c>, so MaxAttemptAge still counts from when it was
    /// queued; a PUT to a dead URL costs one attempt, not the whole backlog at once.
    /// </summary>
    public async Task<WebhookRegistered> PutAsync(long partnerId, string url, IReadOnlyList<string>? eventTypes, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var secret = WebhookSecrets.NewSecret();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            WITH before AS (
                SELECT url, enabled FROM webhook_endpoints WHERE partner_id = $1 FOR UPDATE
            )
            INSERT INTO webhook_endpoints AS w (partner_id, url, event_types, enabled, secret_encrypted, secret_prefix, created_at, updated_at)
            VALUES ($1, $2, $3, true, $4, $5, $6, $6)
            ON CONFLICT (partner_id) DO UPDATE
               SET url = EXCLUDED.url, event_types = EXCLUDED.event_types, enabled = true,
                   disabled_at = NULL, disabled_reason = NULL, updated_at = EXCLUDED.updated_at,
                   consecutive_failures = CASE WHEN w.url <> EXCLUDED.url OR NOT w.enabled THEN greatest(w.consecutive_failures, $7) ELSE w.consecutive_failures END,
                   circuit_open_until = CASE WHEN w.url <> EXCLUDED.url OR NOT w.enabled THEN NULL ELSE w.circuit_open_until END
            RETURNING created_at, (xmax = 0) AS created, secret_prefix,
                      (SELECT url <> $2 OR NOT enabled FROM before) AS rearm
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = url });
        command.Parameters.Add(new NpgsqlParameter { Value = eventTypes is null ? DBNull.Value : eventTypes.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = protector.Protect(secret, partnerId) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = WebhookSecrets.Prefix(secret) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = options.Value.CircuitBreakAfter });
        DateTimeOffset createdAt;
        bool created;
        string prefix;
        bool rearm;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            createdAt = reader.GetFieldValue<DateTimeOffset>(0);
            created = reader.GetBoolean(1);
            prefix = reader.GetString(2);
            rearm = !reader.IsDBNull(3) && reader.GetBoolean(3);
        }

        if (rearm)
        {
            // One probe now: the delivery due first (attempts in flight keep their lease). The rest follow
            // as soon as the endpoint answers 2xx (the worker makes them due then), so a PUT to a dead URL
            // costs one attempt, not the whole backlog.
            await using var requeue = new NpgsqlCommand(
                """
                UPDATE webhook_deliveries SET next_attempt_at = $2
                 WHERE id = (SELECT id FROM webhook_deliveries
                              WHERE partner_id = $1 AND status = 'pending' AND (leased_until IS NULL OR leased_until <= $2)
                              ORDER BY next_attempt_at, id LIMIT 1)
                   AND next_attempt_at > $2
                """,
                connection,
                transaction);
            requeue.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
            requeue.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            await requeue.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new WebhookRegistered(url, eventTypes ?? EventTypes.Subscribable, true, created ? secret : null, prefix, createdAt);
    }

    public async Task<WebhookEndpointResponse?> GetAsync(long partnerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT w.url, w.event_types, w.enabled, w.secret_prefix, w.created_at, w.disabled_reason, w.disabled_at,
                   a.status_code, a.delivered, a.error, a.created_at
              FROM webhook_endpoints w
              -- The latest attempt to this endpoint: none from before it was (re)created.
              LEFT JOIN LATERAL (SELECT status_code, delivered, error, created_at FROM webhook_attempts
                                  WHERE partner_id = w.partner_id AND created_at >= w.created_at ORDER BY id DESC LIMIT 1) a ON true
             WHERE w.partner_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var last = reader.IsDBNull(10)
            ? null
            : new WebhookLastDelivery(reader.IsDBNull(7) ? null : reader.GetInt32(7), reader.GetBoolean(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.GetFieldValue<DateTimeOffset>(10));
        return new WebhookEndpointResponse(
            reader.GetString(0),
            reader.IsDBNull(1) ? EventTypes.Subscribable : reader.GetFieldValue<string[]>(1),
            reader.GetBoolean(2),
            reader.GetString(3),
            reader.GetFieldValue<DateTimeOffset>(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
            last);
    }

    /// <summary>Deletes the endpoint; what still waited for it will not be sent. False when there was none.</summary>
    public async Task<bool> DeleteAsync(long partnerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH gone AS (DELETE FROM webhook_endpoints WHERE partner_id = $1 RETURNING partner_id),
                 dropped AS (UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, leased_until = NULL
                              WHERE partner_id IN (SELECT partner_id FROM gone) AND status = 'pending')
            SELECT count(*) FROM gone
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <summary>
    /// A new secret (returned once). Every secret that signed until now keeps signing beside it for
    /// <see cref="WebhookOptions.RotationOverlap"/> (each until its own end), so however many rotations are
    /// made, concurrently or not, the secret a receiver had deployed before them keeps verifying. At most
    /// <see cref="WebhookOptions.MaxRetiringSecrets"/> may retire at once: beyond that, 409. Null without an
    /// endpoint. Runs in the scope's transaction, so an <c>Idempotency-Key</c> replays the same secret.
    /// </summary>
    public Task<WebhookRotated?> RotateAsync(long partnerId, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async ct =>
            {
                var settings = options.Value;
                var now = time.GetUtcNow();
                // Rotations of one endpoint queue on its row; the count is read after the lock (its own
                // snapshot), so every rotation sees the ones committed before it.
                await using (var locked = db.Command("SELECT 1 FROM webhook_endpoints WHERE partner_id = $1 FOR UPDATE", partnerId))
                {
                    if (await locked.ExecuteScalarAsync(ct) is null)
                    {
                        return null;
                    }
                }

                long retiring;
                await using (var count = db.Command("SELECT count(*) FROM webhook_retiring_secrets WHERE partner_id = $1 AND expires_at > $2", partnerId, now))
                {
                    retiring = (long)(await count.ExecuteScalarAsync(ct))!;
                }

                if (retiring >= WebhookOptions.MaxRetiringSecrets)
                {
                    throw new ApiException(
                        StatusCodes.Status409Conflict,
                        ErrorCodes.SecretRotationLimit,
                        $"{retiring} earlier secrets are still signing; rotate again once the oldest expires");
                }

                var secret = WebhookSecrets.NewSecret();
                var overlapEnds = now + settings.RotationOverlap;
                await db.ExecuteAsync(
                    """
                    WITH retired AS (
                        INSERT INTO webhook_retiring_secrets (partner_id, secret_encrypted, secret_prefix, expires_at)
                        SELECT partner_id, secret_encrypted, secret_prefix, $3 FROM webhook_endpoints WHERE partner_id = $1
                    ), swept AS (
                        DELETE FROM webhook_retiring_secrets WHERE partner_id = $1 AND expires_at <= $5
                    )
                    UPDATE webhook_endpoints SET secret_encrypted = $2, secret_prefix = $4, updated_at = $5 WHERE partner_id = $1
                    """,
                    ct,
                    partnerId,
                    protector.Protect(secret, partnerId),
                    overlapEnds,
                    WebhookSecrets.Prefix(secret),
                    now);
                return new WebhookRotated(secret, WebhookSecrets.Prefix(secret), overlapEnds);
            },
            cancellationToken);

    /// <summary>Records a <c>ping</c> event: the dispatcher queues it for the endpoint at once. False without an endpoint.</summary>
    public async Task<bool> PingAsync(long partnerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO events (partner_id, type, snapshot) SELECT partner_id, 'ping', '{}'::jsonb FROM webhook_endpoints WHERE partner_id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>Attempts, newest first.</summary>
    public async Task<Page<WebhookAttemptResponse>> AttemptsAsync(long partnerId, PageQuery page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = dataSource.CreateCommand(
            """
            SELECT a.id, e.seq, e.type, a.attempt, a.status_code, a.error, a.duration_ms, a.delivered,
                   CASE WHEN d.status = 'pending' THEN d.next_attempt_at END, a.created_at
              FROM webhook_attempts a
              JOIN webhook_deliveries d ON d.id = a.delivery_id
              JOIN events e ON e.id = d.event_id
             WHERE a.partner_id = $1
             ORDER BY a.id DESC LIMIT $2 OFFSET $3
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = page.PageSize() });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = page.RowsToSkip() });
        var items = new List<WebhookAttemptResponse>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new WebhookAttemptResponse(
                reader.GetInt64(0),
                reader.IsDBNull(1) ? 0 : reader.GetInt64(1),
                reader.GetString(2),
                reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetInt32(6),
                reader.GetBoolean(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.GetFieldValue<DateTimeOffset>(9)));
            }
        }

        // Counted on its own: a window count over the page is 0 when the offset is past the end.
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM webhook_attempts WHERE partner_id = $1");
        count.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        var total = (int)(long)(await count.ExecuteScalarAsync(cancellationToken))!;
        return new Page<WebhookAttemptResponse>(items, total, page.PageSize(), page.RowsToSkip());
    }

    /// <summary>
    /// Queues the event of attempt <paramref name="attemptId"/> again, due now. A delivery that ended
    /// (delivered or failed) is queued afresh, with a new MaxAttemptAge; one still pending keeps its age and
    /// merely becomes due now, and one in flight is left to its attempt. False when it is not this partner's.
    /// </summary>
    public async Task<bool> RedeliverAsync(long partnerId, long attemptId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH target AS (
                SELECT d.id, d.status, d.leased_until FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
                 WHERE a.id = $2 AND a.partner_id = $1
                   FOR UPDATE OF d
            ), queued AS (
                UPDATE webhook_deliveries d
                   SET status = 'pending', next_attempt_at = least(coalesce(d.next_attempt_at, $3), $3), delivered_at = NULL,
                       first_queued_at = CASE WHEN d.status = 'pending' THEN d.first_queued_at ELSE $3 END
                  FROM target t
                 WHERE d.id = t.id AND NOT (t.status = 'pending' AND t.leased_until > $3)
            )
            SELECT count(*) FROM target
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = attemptId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }
}

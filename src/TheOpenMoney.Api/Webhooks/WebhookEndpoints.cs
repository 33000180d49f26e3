using TheOpenMoney.Api.Events;
using TheOpenMoney.Api.Infrastructure.Paging;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// A partner's one webhook endpoint: register or replace it, read it (never its secret), delete it,
/// rotate its secret, send a ping, list and redeliver attempts. Secrets are stored encrypted
/// (<see cref="WebhookSecretProtector"/>) and returned only when issued.
/// </summary>
public sealed class WebhookEndpoints(
    NpgsqlDataSource dataSource,
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

    /// <summary>Creates the endpoint (with a new secret, returned once) or replaces its URL and types (the secret stays; enabled again).</summary>
    public async Task<WebhookRegistered> PutAsync(long partnerId, string url, IReadOnlyList<string>? eventTypes, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var secret = WebhookSecrets.NewSecret();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO webhook_endpoints AS w (partner_id, url, event_types, enabled, secret_encrypted, secret_prefix, created_at, updated_at)
            VALUES ($1, $2, $3, true, $4, $5, $6, $6)
            ON CONFLICT (partner_id) DO UPDATE
               SET url = EXCLUDED.url, event_types = EXCLUDED.event_types, enabled = true,
                   disabled_at = NULL, disabled_reason = NULL, updated_at = EXCLUDED.updated_at
            RETURNING created_at, (xmax = 0) AS created, secret_prefix
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = url });
        command.Parameters.Add(new NpgsqlParameter { Value = eventTypes is null ? DBNull.Value : eventTypes.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = protector.Protect(secret, partnerId) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = WebhookSecrets.Prefix(secret) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        DateTimeOffset createdAt;
        bool created;
        string prefix;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            createdAt = reader.GetFieldValue<DateTimeOffset>(0);
            created = reader.GetBoolean(1);
            prefix = reader.GetString(2);
        }

        // Re-enabled: what waited while the endpoint was disabled gets a fresh MaxAttemptAge.
        await using (var requeue = new NpgsqlCommand(
            "UPDATE webhook_deliveries SET first_queued_at = $2, next_attempt_at = $2 WHERE partner_id = $1 AND status = 'pending'", connection, transaction))
        {
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
              LEFT JOIN LATERAL (SELECT status_code, delivered, error, created_at FROM webhook_attempts
                                  WHERE partner_id = w.partner_id ORDER BY id DESC LIMIT 1) a ON true
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
                 dropped AS (UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL
                              WHERE partner_id IN (SELECT partner_id FROM gone) AND status = 'pending')
            SELECT count(*) FROM gone
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <summary>A new secret (returned once); the previous one keeps signing for <see cref="WebhookOptions.RotationOverlap"/>. Null without an endpoint.</summary>
    public async Task<WebhookRotated?> RotateAsync(long partnerId, CancellationToken cancellationToken)
    {
        var secret = WebhookSecrets.NewSecret();
        var overlapEnds = time.GetUtcNow() + options.Value.RotationOverlap;
        await using var command = dataSource.CreateCommand(
            """
            UPDATE webhook_endpoints
               SET previous_secret_encrypted = secret_encrypted, previous_secret_expires_at = $3,
                   secret_encrypted = $2, secret_prefix = $4, updated_at = now()
             WHERE partner_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = protector.Protect(secret, partnerId) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = overlapEnds });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = WebhookSecrets.Prefix(secret) });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 0 ? null : new WebhookRotated(secret, WebhookSecrets.Prefix(secret), overlapEnds);
    }

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
            SELECT a.id, e.seq, e.type, a.attempt, a.status_code, a.error, a.duration_ms, a.delivered, d.next_attempt_at, a.created_at,
                   count(*) OVER ()
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
        var total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
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
            total = (int)reader.GetInt64(10);
        }

        return new Page<WebhookAttemptResponse>(items, total, page.PageSize(), page.RowsToSkip());
    }

    /// <summary>Queues the event of attempt <paramref name="attemptId"/> again, due now. False when it is not this partner's.</summary>
    public async Task<bool> RedeliverAsync(long partnerId, long attemptId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE webhook_deliveries d
               SET status = 'pending', next_attempt_at = $3, first_queued_at = $3, delivered_at = NULL
              FROM webhook_attempts a
             WHERE a.id = $2 AND a.partner_id = $1 AND d.id = a.delivery_id
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = attemptId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// Gives committed events their public id (<c>seq</c>), increasing per partner (each partner has its own
/// counter, so ids tell nothing of other partners' volume; its test twin shares it, so live and test events
/// never share an id) in the order this job sees them, and
/// in the same statement queues one delivery per event for the partner's enabled webhook endpoint when
/// it subscribes to the type (a <c>ping</c> always). One leader (lock <see cref="LeaderLockKey"/>) numbers
/// events, so the public ids only ever grow: an event that commits late gets a later id, and a reader's
/// cursor (<c>GET /events?after=</c>) can never pass one it has not seen.
/// </summary>
public sealed class EventDispatcher(NpgsqlDataSource dataSource, EventMetrics metrics, TimeProvider time, IOptions<EventOptions> options) : IBackgroundJob
{
    /// <summary>Advisory lock key of the dispatcher leader ("TOM-EVNT").</summary>
    internal const long LeaderLockKey = 0x544F4D2D45564E54;

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var batch = options.Value.DispatchBatchSize;
        await using var command = dataSource.CreateCommand(
            """
            WITH locked AS (
                SELECT id, partner_id FROM events WHERE seq IS NULL ORDER BY id LIMIT $1 FOR UPDATE
            ), batch AS (
                -- A partner's live and test events share one counter (the live partner's), so an id is never
                -- given twice to one partner, whichever mode: a receiver that dedupes on the id alone loses nothing.
                SELECT l.id, l.partner_id, coalesce(p.live_partner_id, p.id) AS account
                  FROM locked l JOIN partners p ON p.id = l.partner_id
            ), per_account AS (
                SELECT account, count(*) AS taken FROM batch GROUP BY account
            ), counted AS (
                -- Each account's own counter moves on by what this batch holds of its events.
                INSERT INTO event_counters AS c (partner_id, last_seq)
                SELECT account, taken FROM per_account
                ON CONFLICT (partner_id) DO UPDATE SET last_seq = c.last_seq + EXCLUDED.last_seq
                RETURNING partner_id AS account, last_seq
            ), ordered AS (
                -- Within a batch, ids follow the order the rows were written.
                SELECT b.id, c.last_seq - p.taken + row_number() OVER (PARTITION BY b.account ORDER BY b.id) AS seq
                  FROM batch b JOIN per_account p USING (account) JOIN counted c USING (account)
            ), numbered AS (
                UPDATE events e SET seq = ordered.seq
                  FROM ordered WHERE e.id = ordered.id
                RETURNING e.id, e.partner_id, e.type, e.created_at
            ), queued AS (
                INSERT INTO webhook_deliveries (partner_id, event_id, status, next_attempt_at, first_queued_at)
                SELECT n.partner_id, n.id, 'pending', $2, $2
                  FROM numbered n
                  JOIN webhook_endpoints w ON w.partner_id = n.partner_id
                 WHERE w.enabled AND (n.type = 'ping' OR w.event_types IS NULL OR n.type = ANY (w.event_types))
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM numbered), (SELECT count(*) FROM queued),
                   (SELECT extract(epoch FROM clock_timestamp() - min(created_at)) FROM numbered)
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch });
        // Queued at the app's clock, the one the delivery worker measures due times and MaxAttemptAge with.
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var numbered = reader.GetInt64(0);
        metrics.Dispatched(numbered, reader.GetInt64(1), reader.IsDBNull(2) ? null : TimeSpan.FromSeconds(reader.GetDouble(2)));
        return numbered >= batch ? JobOutcome.MoreWork : JobOutcome.Idle;
    }
}


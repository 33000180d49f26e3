using System.Diagnostics;
using System.Net.Http.Headers;
using TheOpenMoney.Api.Infrastructure;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// Sends due webhook deliveries. Every instance runs it: due rows are claimed with
/// <c>FOR UPDATE SKIP LOCKED</c> and leased (their next attempt pushed past <see cref="WebhookOptions.Timeout"/>),
/// so two instances never send one attempt twice. Claims are fair: endpoint by endpoint, each endpoint's
/// queue head in due order, up to its free slots (<see cref="WebhookOptions.PerEndpointConcurrency"/> on this
/// instance, or one probe while its circuit is open), round-robin across endpoints when the instance's
/// <see cref="WebhookOptions.MaxConcurrency"/> cannot serve them all; so an endpoint with nothing in flight
/// is served in the next claim whatever the others owe, and a dead endpoint holds one slot, not the queue.
/// A freed slot is refilled at once. Each attempt is signed (<c>TOM-Signature</c>, with every secret still
/// retiring after a rotation too), posted without following redirects to an address checked at connect
/// time, recorded, and then delivered, retried with exponential backoff and jitter, or — once the event has
/// waited <see cref="WebhookOptions.MaxAttemptAge"/> — failed, with the endpoint disabled and the partner told
/// through the bot. <see cref="WebhookOptions.CircuitBreakAfter"/> attempts in a row without a 2xx open the
/// endpoint's circuit: then it gets one attempt at a time (a probe, each delivery still on its own backoff),
/// so an endpoint that takes connections and never answers costs one slot and one attempt per timeout; the
/// first 2xx closes the circuit and makes everything it is owed due at once, in due order.
/// </summary>
public sealed partial class WebhookDeliveryWorker(
    NpgsqlDataSource dataSource,
    IHttpClientFactory httpClients,
    WebhookSecretProtector protector,
    IPartnerNotifier notifier,
    WebhookInFlight inFlight,
    WebhookMetrics metrics,
    TimeProvider time,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDeliveryWorker> logger) : IBackgroundJob
{
    public const string HttpClientName = "webhooks";

    /// <summary>
    /// Claims what fits in the free slots and starts those attempts without waiting for them (each records
    /// its own outcome); with nothing to claim while attempts are in flight, waits for one to end (at most
    /// <see cref="WebhookOptions.DeliveryInterval"/>) and runs again, so a freed slot is refilled at once.
    /// </summary>
    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var capacity = settings.MaxConcurrency - inFlight.Total;
        var claimed = capacity > 0 ? await ClaimAsync(capacity, cancellationToken) : [];
        foreach (var delivery in claimed)
        {
            inFlight.Started(delivery.PartnerId);
            _ = Task.Run(
                async () =>
                {
                    try
                    {
                        await AttemptAsync(delivery, cancellationToken);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        // Not recorded (stopping, or the database failed): the lease runs out and the attempt is made again.
                        LogAttemptLost(logger, delivery.Id, FailureKind.Of(ex));
                    }
                    finally
                    {
                        inFlight.Ended(delivery.PartnerId);
                    }
                },
                CancellationToken.None);
        }

        if (claimed.Count > 0)
        {
            return JobOutcome.MoreWork;
        }

        if (inFlight.Total == 0)
        {
            return JobOutcome.Idle;
        }

        await inFlight.SlotFreedAsync(settings.DeliveryInterval, cancellationToken);
        return JobOutcome.MoreWork;
    }

    /// <summary>The claim: every enabled endpoint's free slots, its queue head in due order, round-robin across endpoints.</summary>
    internal const string ClaimSql =
        """
        WITH busy AS (
            SELECT * FROM unnest($5::bigint[], $6::integer[]) AS b (partner_id, in_flight)
        ), slots AS (
            -- Free slots per endpoint on this instance: PerEndpointConcurrency, or, once its circuit opened,
            -- one probe while no other probe holds it.
            SELECT w.partner_id, w.consecutive_failures >= $7 AS probe,
                   (CASE WHEN w.consecutive_failures >= $7 THEN 1 ELSE $3 END) - coalesce(b.in_flight, 0) AS free
              FROM webhook_endpoints w LEFT JOIN busy b USING (partner_id)
             WHERE w.enabled AND (w.circuit_open_until IS NULL OR w.circuit_open_until <= $1)
        ), heads AS (
            SELECT d.id, s.partner_id, s.probe,
                   row_number() OVER (PARTITION BY s.partner_id ORDER BY d.next_attempt_at, d.id) AS place
              FROM slots s
             CROSS JOIN LATERAL (
                   SELECT id, next_attempt_at FROM webhook_deliveries
                    WHERE partner_id = s.partner_id AND status = 'pending' AND next_attempt_at <= $1
                    ORDER BY next_attempt_at, id LIMIT s.free
                      FOR UPDATE SKIP LOCKED) d
             WHERE s.free > 0
        ), fair AS (
            -- Each endpoint's first due row before any endpoint's second: round-robin, ties in random order.
            SELECT id, partner_id, probe FROM heads ORDER BY place, random() LIMIT $2
        ), probing AS (
            -- A probe holds the circuit for its lease, so the next probe waits for this one's outcome.
            UPDATE webhook_endpoints w SET circuit_open_until = $4
              FROM (SELECT DISTINCT partner_id FROM fair WHERE probe) p
             WHERE w.partner_id = p.partner_id
        )
        UPDATE webhook_deliveries d
           SET attempts = d.attempts + 1, next_attempt_at = $4, leased_until = $4
          FROM fair, events e, webhook_endpoints w
         WHERE d.id = fair.id AND e.id = d.event_id AND w.partner_id = d.partner_id
        RETURNING d.id, d.partner_id, d.attempts, d.first_queued_at, e.seq, e.type, e.created_at, e.snapshot::text,
                  w.url, w.secret_encrypted, fair.probe,
                  ARRAY(SELECT r.secret_encrypted FROM webhook_retiring_secrets r
                         WHERE r.partner_id = d.partner_id AND r.expires_at > $1 ORDER BY r.expires_at DESC),
                  (SELECT p.livemode FROM partners p WHERE p.id = d.partner_id)
        """;

    private async Task<List<ClaimedDelivery>> ClaimAsync(int capacity, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var (busyPartners, busyCounts) = inFlight.Snapshot();
        var now = time.GetUtcNow();
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Min(capacity, settings.BatchSize) });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.PerEndpointConcurrency });
        // The lease: a worker that dies mid-attempt leaves the row due again after it.
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now + (settings.Timeout * 2) + TimeSpan.FromSeconds(5) });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = busyPartners });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = busyCounts });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.CircuitBreakAfter });
        var claimed = new List<ClaimedDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedDelivery(
                reader.GetInt64(0),
                reader.GetInt64(1),
                reader.GetInt32(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                EventRendering.Render(reader.GetInt64(4), reader.GetBoolean(12), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7)),
                reader.GetString(8),
                reader.GetFieldValue<byte[]>(9),
                reader.GetBoolean(10),
                reader.GetFieldValue<byte[][]>(11)));
        }

        return claimed;
    }

    private async Task AttemptAsync(ClaimedDelivery delivery, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = Stopwatch.GetTimestamp();
        int? statusCode = null;
        string? error = null;
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(delivery.Event, Infrastructure.Json.JsonDefaults.Shared);
            List<string> secrets = [protector.Unprotect(delivery.Secret, delivery.PartnerId)];
            secrets.AddRange(delivery.RetiringSecrets.Select(retiring => protector.Unprotect(retiring, delivery.PartnerId)));

            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("TOM-Event-Id", delivery.Event.Id.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("TOM-Event-Type", delivery.Event.Type);
            request.Headers.Add("TOM-Signature", WebhookSignature.Header(time.GetUtcNow(), body, secrets));
            request.Headers.UserAgent.ParseAdd("TheOpenMoney-Webhooks/1");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.Timeout);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            statusCode = (int)response.StatusCode;
            // Read (at most 64 KB) and ignored: only the status counts.
            _ = await WebhookHttpHandler.ReadCappedAsync(response.Content, WebhookOptions.MaxResponseBytes, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                error = $"HTTP {statusCode}";
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"no answer within {settings.Timeout.TotalSeconds:0.#} s";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            error = Describe(ex);
        }

        var duration = Stopwatch.GetElapsedTime(started);
        await RecordAsync(delivery, statusCode, error, duration, cancellationToken);
    }

    /// <summary>
    /// The attempt's row, then — only if the delivery is still the one this attempt claimed (pending, same
    /// attempt number: not deleted, cancelled or claimed again meanwhile) — its outcome, and the endpoint's
    /// circuit (only while the endpoint still has the URL the attempt went to): a 2xx closes it, and if it
    /// was open, everything the endpoint is owed becomes due now (it is back: its backlog drains in due
    /// order instead of waiting out each delivery's backoff); a failure counts towards opening it.
    /// </summary>
    internal const string RecordSql =
        """
        WITH attempt AS (
            INSERT INTO webhook_attempts (delivery_id, partner_id, attempt, status_code, error, duration_ms, delivered, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ), delivery AS (
            UPDATE webhook_deliveries
               SET status = CASE WHEN $7 THEN 'delivered' WHEN $9 THEN 'failed' ELSE 'pending' END,
                   next_attempt_at = $10, delivered_at = CASE WHEN $7 THEN $8 END, leased_until = NULL
             WHERE id = $1 AND status = 'pending' AND attempts = $3
            RETURNING id
        ), endpoint AS (
            SELECT consecutive_failures >= $12 AS was_open FROM webhook_endpoints
             WHERE partner_id = $2 AND url = $14 AND EXISTS (SELECT 1 FROM delivery)
        ), recovered AS (
            UPDATE webhook_deliveries SET next_attempt_at = $8
             WHERE partner_id = $2 AND status = 'pending' AND next_attempt_at > $8 AND (leased_until IS NULL OR leased_until <= $8)
               AND $7 AND (SELECT was_open FROM endpoint)
        )
        UPDATE webhook_endpoints w
           SET consecutive_failures = CASE WHEN $7 THEN 0 ELSE least(w.consecutive_failures + 1, 1000000000) END,
               -- The probe's hold on the circuit ends with it; an attempt from before the circuit opened leaves it be.
               circuit_open_until = CASE WHEN $7 OR $13 THEN NULL ELSE w.circuit_open_until END,
               enabled = w.enabled AND NOT $9,
               disabled_at = CASE WHEN w.enabled AND $9 THEN $8 ELSE w.disabled_at END,
               disabled_reason = CASE WHEN w.enabled AND $9 THEN 'no 2xx answer for ' || $11 || '; PUT /webhook enables it again' ELSE w.disabled_reason END,
               updated_at = CASE WHEN w.enabled AND $9 THEN $8 ELSE w.updated_at END
          FROM endpoint
         WHERE w.partner_id = $2
           -- A 2xx to an endpoint already healthy changes nothing: no write, so concurrent attempts to one
           -- endpoint do not queue on its row (each success used to take the row lock and leave a dead tuple).
           AND (NOT $7 OR w.consecutive_failures <> 0 OR w.circuit_open_until IS NOT NULL)
        RETURNING $9 AND w.disabled_at = $8
        """;

    private async Task RecordAsync(ClaimedDelivery delivery, int? statusCode, string? error, TimeSpan duration, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var delivered = error is null;
        var givenUp = !delivered && now - delivery.FirstQueuedAt >= settings.MaxAttemptAge;
        DateTimeOffset? next = delivered || givenUp ? null : now + Backoff.Delay(delivery.Attempt, settings.RetryBaseDelay, settings.RetryMaxDelay);
        await using var command = dataSource.CreateCommand(RecordSql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delivery.Id });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delivery.PartnerId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = delivery.Attempt });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)statusCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)Math.Min(int.MaxValue, duration.TotalMilliseconds) });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = delivered });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = givenUp });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)next ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Age(settings.MaxAttemptAge) });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.CircuitBreakAfter });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = delivery.Probe });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = delivery.Url });
        var disabled = await command.ExecuteScalarAsync(cancellationToken) is true;
        metrics.Attempted(delivered ? "delivered" : givenUp ? "failed" : "retried", duration, delivered ? now - delivery.Event.CreatedAt : null);
        if (disabled)
        {
            metrics.EndpointDisabled();
            LogDisabled(logger, delivery.PartnerId);
            await notifier.NotifyAsync(
                delivery.PartnerId,
                $"Your webhook endpoint was disabled: it gave no 2xx answer for {Age(settings.MaxAttemptAge)}. Fix it, then send PUT /api/v1/webhook to enable it again; GET /api/v1/events has every event meanwhile.",
                cancellationToken);
        }
    }

    /// <summary>A short cause for the attempt log: never the URL's query, a secret or a stack.</summary>
    private static string Describe(Exception exception) => exception switch
    {
        WebhookAddressRefusedException or HttpRequestException { InnerException: WebhookAddressRefusedException } =>
            "the endpoint's host resolves to an address that is not allowed",
        HttpRequestException { HttpRequestError: var kind } => $"connection failed ({kind})",
        _ => $"failed ({exception.GetType().Name})",
    };

    private static string Age(TimeSpan age) => age.TotalDays >= 1 ? $"{age.TotalDays:0.#} days" : age.TotalHours >= 1 ? $"{age.TotalHours:0.#} hours" : $"{age.TotalSeconds:0.#} seconds";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId}: the attempt's outcome was not recorded ({FailureKind}); it is made again when its lease runs out")]
    private static partial void LogAttemptLost(ILogger logger, long deliveryId, string failureKind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook endpoint of partner {PartnerId} disabled after failing for MaxAttemptAge")]
    private static partial void LogDisabled(ILogger logger, long partnerId);

    private sealed record ClaimedDelivery(
        long Id,
        long PartnerId,
        int Attempt,
        DateTimeOffset FirstQueuedAt,
        EventResponse Event,
        string Url,
        byte[] Secret,
        bool Probe,
        byte[][] RetiringSecrets);
}

/// <summary>Tells a partner something through the channel they use (the Telegram bot). Never throws.</summary>
public interface IPartnerNotifier
{
    Task NotifyAsync(long partnerId, string text, CancellationToken cancellationToken);
}

using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;
using TheOpenMoney.Api.Webhooks;
using System.Diagnostics;

namespace TheOpenMoney.Tests.Webhooks;

/// <summary>
/// A receiver on 127.0.0.1 that accepts every request and answers none until <see cref="Revive"/> (a
/// dead endpoint that still takes connections, the worst kind: each attempt costs a whole timeout), then
/// answers 200 at once. Counts the requests it is holding, and the most it ever held at once.
/// </summary>
public sealed class HangingReceiver : IAsyncDisposable
{
    private readonly FakeHttpServer _server;
    private readonly TaskCompletionSource _alive = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private int _holding;
    private int _mostHeld;

    private HangingReceiver(FakeHttpServer server, TimeSpan? answerAfter)
    {
        _server = server;
        server.Handler = async context =>
        {
            lock (_gate)
            {
                _holding++;
                _mostHeld = Math.Max(_mostHeld, _holding);
            }

            try
            {
                await _alive.Task.WaitAsync(answerAfter ?? Timeout.InfiniteTimeSpan, context.RequestAborted);
                Delivered.Enqueue(long.Parse(context.Request.Headers["TOM-Event-Id"].ToString(), CultureInfo.InvariantCulture));
                context.Response.StatusCode = 200;
            }
            catch (TimeoutException)
            {
                // Answered (a failure) before the sender's own timeout, so its end is seen at once, not when the
                // receiver notices a dropped connection.
                context.Response.StatusCode = 503;
            }
            catch (OperationCanceledException)
            {
                // The sender gave up (its timeout): nothing to answer.
            }
            finally
            {
                lock (_gate)
                {
                    _holding--;
                }
            }
        };
    }

    public string Url => _server.Url + "/dead";

    public int Requests => _server.Requests;

    /// <summary>Requests held at once, seen from the receiver (a timed-out one may be noticed a moment late).</summary>
    public int MostHeldAtOnce
    {
        get
        {
            lock (_gate)
            {
                return _mostHeld;
            }
        }
    }

    /// <summary>Event ids answered 200 once revived, in the order they arrived.</summary>
    public ConcurrentQueue<long> Delivered { get; } = new();

    /// <param name="answerAfter">
    /// Answer 503 after this long instead of hanging until the sender gives up: for counting requests held at once,
    /// which a dropped connection makes inexact (it is noticed a moment late).
    /// </param>
    public static async Task<HangingReceiver> StartAsync(TimeSpan? answerAfter = null) => new(await FakeHttpServer.StartAsync(), answerAfter);

    public void Revive() => _alive.TrySetResult();

    public ValueTask DisposeAsync()
    {
        Revive();
        return _server.DisposeAsync();
    }
}

/// <summary>
/// Fair delivery (issue 21): one partner's dead endpoint — one that accepts connections and never
/// answers — must never delay another partner's webhooks; it keeps to its share of the worker, backs off
/// behind its circuit, drains in due order when it comes back; re-arming it (PUT, redeliver) does not fire
/// its backlog at once; DELETE cancels attempts in flight.
/// </summary>
public sealed class WebhookFairnessTests(WebhookFairnessTests.Factory factory) : IClassFixture<WebhookFairnessTests.Factory>
{
    private const int Share = 4;

    /// <summary>Small shares so the claim is the bottleneck, as 16 of 64 is in production; a 1.5 s timeout keeps a dead attempt cheap for the test.</summary>
    public sealed class Factory : WebhookFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Webhooks:PerEndpointConcurrency"] = Share.ToString(CultureInfo.InvariantCulture);
            settings["Webhooks:MaxConcurrency"] = (2 * Share).ToString(CultureInfo.InvariantCulture);
            settings["Webhooks:Timeout"] = "00:00:01.500";
            settings["Webhooks:CircuitBreakAfter"] = "3";
        }
    }

    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    private static async Task RegisterAsync(PartnerApi partner, string url, string? events = null)
    {
        var body = events is null ? $$"""{"url": "{{url}}"}""" : $$"""{"url": "{{url}}", "events": {{events}}}""";
        await (await partner.Client.PutAsync("/api/v1/webhook", new StringContent(body, Encoding.UTF8, "application/json"))).AssertOkAsync();
    }

    private Task QueuePingsAsync(PartnerApi partner, int count) =>
        Db.ExecuteAsync(factory, "INSERT INTO events (partner_id, type, snapshot) SELECT $1, 'ping', '{}'::jsonb FROM generate_series(1, $2)", partner.PartnerId, count);

    private Task<long> PendingAsync(PartnerApi partner) =>
        Db.ScalarAsync(factory, "SELECT count(*) FROM webhook_deliveries WHERE partner_id = $1 AND status = 'pending'", partner.PartnerId);

    [Fact]
    public async Task A_dead_endpoint_owing_six_hundred_deliveries_never_delays_another_partners_ping_and_drains_in_due_order_when_it_returns()
    {
        await using var dead = await HangingReceiver.StartAsync();
        await using var live = await WebhookReceiver.StartAsync();
        var stuck = await NewPartnerAsync();
        var honest = await NewPartnerAsync();
        await RegisterAsync(stuck, dead.Url);
        await RegisterAsync(honest, live.Url);
        await QueuePingsAsync(stuck, 650);
        await Eventually.WaitAsync(() => PendingAsync(stuck), n => n == 650, "650 deliveries queued for the dead endpoint");
        await Eventually.WaitAsync(() => Task.FromResult(dead.Requests), n => n >= Share, "the dead endpoint holding its share");
        // The worker's own count of the dead endpoint's attempts in flight, sampled throughout.
        var inFlight = factory.Services.GetRequiredService<WebhookInFlight>();
        var mostInFlight = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var (partners, counts) = inFlight.Snapshot();
                var index = Array.IndexOf(partners, stuck.PartnerId);
                mostInFlight = Math.Max(mostInFlight, index < 0 ? 0 : counts[index]);
                await Task.Delay(2);
            }
        });

        // Another partner's ping, while the dead endpoint owes 650 and holds every slot it may.
        var asked = Stopwatch.StartNew();
        await (await honest.Client.PostAsync("/api/v1/webhook/test", null)).AssertOkAsync();
        await live.WaitForAsync(r => r.Type == "ping", 1, "the honest partner's ping");
        var waited = asked.Elapsed;
        Assert.True(waited < TimeSpan.FromSeconds(2), $"the ping took {waited.TotalSeconds:0.00} s behind a dead endpoint");

        // The dead endpoint kept to its share, and its circuit opened: a few attempts, not the backlog.
        await Eventually.WaitAsync(
            () => Db.ScalarAsync(factory, "SELECT count(*) FROM webhook_endpoints WHERE partner_id = $1 AND consecutive_failures >= 3", stuck.PartnerId),
            n => n == 1,
            "the dead endpoint's circuit open");
        // Kept on purpose: what is asserted is a rate (few attempts, never more than its share in flight, over a
        // span of real time while the dead endpoint keeps timing out), so the span is the measurement and no
        // condition can replace it; a manual clock would stop the timeouts and the retries it is about.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await sampling.CancelAsync();
        await sampler;
        Assert.InRange(mostInFlight, 1, Share);
        var attempts = await Db.ScalarAsync(factory, "SELECT count(*) FROM webhook_attempts WHERE partner_id = $1", stuck.PartnerId);
        Assert.True(attempts < 40, $"{attempts} attempts against a dead endpoint in a few seconds: it is not backing off");
        var health = await (await factory.CreateClient().GetAsync("/api/v1/health")).ReadJsonAsync();
        var webhooks = health.GetProperty("data").GetProperty("components").GetProperty("webhooks");
        Assert.Equal("ok", webhooks.GetProperty("status").GetString());
        Assert.Equal(1, webhooks.GetProperty("endpoints_in_backoff").GetInt64());

        // It comes back: the backlog drains, in the order it was due (within what is in flight at once).
        var expected = new List<long>();
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                SELECT e.seq FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
                 WHERE d.partner_id = $1 AND d.status = 'pending' AND d.leased_until IS NULL
                 ORDER BY d.next_attempt_at, d.id
                """,
                connection);
            command.Parameters.Add(new NpgsqlParameter { Value = stuck.PartnerId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                expected.Add(reader.GetInt64(0));
            }
        }

        dead.Revive();
        await Eventually.WaitAsync(() => PendingAsync(stuck), n => n == 0, "the backlog drained", seconds: 60);
        var rank = expected.Select((id, index) => (id, index)).ToDictionary(p => p.id, p => p.index);
        var arrivals = dead.Delivered.Where(rank.ContainsKey).ToList();
        Assert.Equal(expected.Count, arrivals.Distinct().Count());
        // Within a few windows of what is in flight at once: Share attempts run together and finish in any order, and an
        // attempt still timing out against the dead endpoint when it comes back is retried a little later (9 places was
        // seen once in a full CI run with 2 * Share allowed).
        var outOfPlace = arrivals.Select((id, index) => Math.Abs(rank[id] - index)).Max();
        Assert.True(outOfPlace <= 3 * Share, $"a delivery arrived {outOfPlace} places away from its turn by due time");
    }

    [Fact]
    public async Task A_put_to_a_new_dead_url_sends_one_probe_at_a_time_and_keeps_when_each_delivery_was_queued()
    {
        await using var first = await HangingReceiver.StartAsync();
        // Each probe held 1.2 s, within the sender's 1.5 s timeout: "held at once" is then exact at the receiver.
        await using var second = await HangingReceiver.StartAsync(answerAfter: TimeSpan.FromSeconds(1.2));
        var partner = await NewPartnerAsync();
        await RegisterAsync(partner, first.Url);
        await QueuePingsAsync(partner, 100);
        await Eventually.WaitAsync(() => PendingAsync(partner), n => n == 100, "100 deliveries queued");
        await Db.ExecuteAsync(factory, "UPDATE webhook_deliveries SET first_queued_at = first_queued_at - interval '1 hour' WHERE partner_id = $1", partner.PartnerId);
        var queuedBefore = await Db.ScalarAsync(factory, "SELECT extract(epoch FROM max(first_queued_at))::bigint FROM webhook_deliveries WHERE partner_id = $1", partner.PartnerId);

        await RegisterAsync(partner, second.Url);
        await Eventually.WaitAsync(() => Task.FromResult(second.Requests), n => n >= 1, "the probe");
        // Kept on purpose: "one probe at a time, not the backlog at once" is a count over a span of real time (the
        // probe hangs until its timeout), so the span is the measurement; there is no condition that ends it.
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Equal(1, second.MostHeldAtOnce);
        Assert.True(second.Requests <= 3, $"{second.Requests} requests to the new URL within 2 s: the PUT re-armed the backlog at once");
        Assert.Equal(queuedBefore, await Db.ScalarAsync(factory, "SELECT extract(epoch FROM max(first_queued_at))::bigint FROM webhook_deliveries WHERE partner_id = $1", partner.PartnerId));

        // Redelivering a pending delivery does not give it a new age either.
        // An attempt row is written when its request ends (the probes hang until their timeout): wait for one.
        var attempt = await Eventually.WaitAsync(
            () => Db.ScalarAsync(factory, "SELECT coalesce(max(id), 0) FROM webhook_attempts WHERE partner_id = $1", partner.PartnerId),
            id => id > 0,
            "an attempt recorded");
        await (await partner.Client.PostAsync($"/api/v1/webhook/deliveries/{attempt}/redeliver", null)).AssertOkAsync();
        Assert.Equal(queuedBefore, await Db.ScalarAsync(factory, "SELECT extract(epoch FROM max(first_queued_at))::bigint FROM webhook_deliveries WHERE partner_id = $1", partner.PartnerId));
        await (await partner.Client.DeleteAsync("/api/v1/webhook")).AssertOkAsync();
    }

    [Fact]
    public async Task Delete_cancels_attempts_in_flight_and_a_new_endpoint_gets_none_of_the_old_events()
    {
        await using var dead = await HangingReceiver.StartAsync();
        await using var fresh = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        await RegisterAsync(partner, dead.Url);
        await QueuePingsAsync(partner, 10);
        await Eventually.WaitAsync(() => Task.FromResult(dead.Requests), n => n >= Share, "attempts in flight");

        await (await partner.Client.DeleteAsync("/api/v1/webhook")).AssertOkAsync();
        dead.Revive();
        var inFlight = dead.Requests;
        await Eventually.WaitAsync(
            () => Db.ScalarAsync(factory, "SELECT count(*) FROM webhook_attempts WHERE partner_id = $1", partner.PartnerId),
            n => n == inFlight,
            "the attempts in flight ended and recorded");
        Assert.Equal(10, await Db.ScalarAsync(factory, "SELECT count(*) FROM webhook_deliveries WHERE partner_id = $1 AND status = 'failed'", partner.PartnerId));
        await RegisterAsync(partner, fresh.Url);

        var endpoint = await (await partner.Client.GetAsync("/api/v1/webhook")).AssertOkAsync();
        Assert.Equal(JsonValueKind.Null, endpoint.GetProperty("last_delivery").ValueKind);
        Assert.Equal(0, await PendingAsync(partner));
        await (await partner.Client.PostAsync("/api/v1/webhook/test", null)).AssertOkAsync();
        await fresh.WaitForAsync(r => r.Type == "ping", 1, "the new endpoint's own ping");
        await WebhookTraffic.SettledAsync(factory, partner.PartnerId);
        Assert.Single(fresh.Received);
    }

    [Fact]
    public async Task Successes_to_a_healthy_endpoint_leave_its_row_unwritten()
    {
        // Every 2xx used to rewrite the endpoint's row (failures back to 0), so concurrent attempts to one endpoint
        // queued on its row lock: the backlog drained at half the rate. Only a change of circuit state writes it now.
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        await RegisterAsync(partner, receiver.Url);
        const string Version = "SELECT xmin::text::bigint FROM webhook_endpoints WHERE partner_id = $1";
        var before = await Db.ScalarAsync(factory, Version, partner.PartnerId);

        await QueuePingsAsync(partner, 3 * Share);
        await receiver.WaitForAsync(r => r.Type == "ping", 3 * Share, "every ping");
        await WebhookTraffic.SettledAsync(factory, partner.PartnerId);

        Assert.Equal(3 * Share, await Db.ScalarAsync(factory, "SELECT count(*) FROM webhook_attempts WHERE partner_id = $1 AND delivered", partner.PartnerId));
        Assert.Equal(before, await Db.ScalarAsync(factory, Version, partner.PartnerId));
    }
}

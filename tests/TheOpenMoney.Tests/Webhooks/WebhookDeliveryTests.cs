using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using TheOpenMoney.Api.Webhooks;

namespace TheOpenMoney.Tests.Webhooks;

/// <summary>The payments host with events dispatched and deliveries retried within a test's patience.</summary>
public class WebhookFactory : PaymentsFactory
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Webhooks:DispatchInterval"] = "00:00:00.050";
        settings["Webhooks:DeliveryInterval"] = "00:00:00.050";
        settings["Webhooks:RetryBaseDelay"] = "00:00:00.100";
        settings["Webhooks:RetryMaxDelay"] = "00:00:00.400";
    }
}

/// <summary>One POST a webhook receiver on 127.0.0.1 got.</summary>
public sealed record ReceivedWebhook(long EventId, string Type, string Signature, byte[] Body, DateTimeOffset At, IReadOnlyDictionary<string, string> Headers)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>A webhook receiver on 127.0.0.1 that records every POST and answers with what <see cref="Answer"/> says.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly FakeHttpServer _server;

    private WebhookReceiver(FakeHttpServer server)
    {
        _server = server;
        server.Handler = async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var received = new ReceivedWebhook(
                long.Parse(context.Request.Headers["TOM-Event-Id"].ToString(), CultureInfo.InvariantCulture),
                context.Request.Headers["TOM-Event-Type"].ToString(),
                context.Request.Headers["TOM-Signature"].ToString(),
                body.ToArray(),
                DateTimeOffset.UtcNow,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
            Received.Enqueue(received);
            context.Response.StatusCode = Answer(received);
        };
    }

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>The status to answer a delivery with (200 unless set).</summary>
    public Func<ReceivedWebhook, int> Answer { get; set; } = _ => 200;

    public string Url => _server.Url + "/hooks";

    public static async Task<WebhookReceiver> StartAsync() => new(await FakeHttpServer.StartAsync());

    public async Task<List<ReceivedWebhook>> WaitForAsync(Func<ReceivedWebhook, bool> match, int count, string what) =>
        await Eventually.WaitAsync(() => Task.FromResult(Received.Where(match).ToList()), found => found.Count >= count, what);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>
/// Webhooks end to end on real PostgreSQL with receivers on 127.0.0.1: every order path's events arrive
/// signed and verifiable; failures are retried with the same event id; rotation signs with both secrets
/// for the overlap; redelivery; deliveries and endpoints are per partner.
/// </summary>
public sealed class WebhookDeliveryTests(WebhookDeliveryTests.Factory factory) : IClassFixture<WebhookDeliveryTests.Factory>
{
    private static int s_nextUser = 150_000;

    public sealed class Factory : WebhookFactory;

    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory, Interlocked.Increment(ref s_nextUser));

    private static async Task<string> RegisterAsync(PartnerApi partner, WebhookReceiver receiver, string? events = null)
    {
        var body = events is null ? $$"""{"url": "{{receiver.Url}}"}""" : $$"""{"url": "{{receiver.Url}}", "events": {{events}}}""";
        var registered = await (await partner.Client.PutAsync("/api/v1/webhook", new StringContent(body, Encoding.UTF8, "application/json"))).AssertOkAsync();
        var secret = registered.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        return secret;
    }

    private static void AssertSigned(ReceivedWebhook received, string secret)
    {
        Assert.True(WebhookSignature.Verify(received.Signature, received.Body, secret, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), $"signature {received.Signature} does not verify");
        Assert.Equal(received.EventId, received.Json.GetProperty("id").GetInt64());
        Assert.Equal(received.Type, received.Json.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Every_order_path_arrives_signed_with_the_same_events_as_the_log()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        var secret = await RegisterAsync(partner, receiver);
        await partner.CreditAsync(1m, "webhooks");
        var memoOrder = await partner.CreatedStarsOrderAsync();
        var memoId = memoOrder.GetProperty("id").GetInt64();
        await factory.DepositAsync(0.417m, memoOrder.GetProperty("payment_memo").GetString());
        await factory.PollAsync();
        await Delivery.DeliverAsync(factory, partner, memoId);
        var refused = (await partner.CreatedStarsOrderAsync("failing_fred", method: "balance")).GetProperty("id").GetInt64();
        await Delivery.DeliverAsync(factory, partner, refused);
        var cancelled = (await partner.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();
        await (await partner.CancelAsync(cancelled)).AssertOkAsync();

        // created×3, paid×2, completed, failed, cancelled; credited (adjustment, refund), debited.
        var all = await receiver.WaitForAsync(_ => true, 11, "eleven deliveries");

        Assert.All(all, r => AssertSigned(r, secret));
        Assert.Equal(all.Count, all.Select(r => r.EventId).Distinct().Count());
        var log = (await (await partner.Client.GetAsync("/api/v1/events?limit=100")).AssertOkAsync()).GetProperty("items").EnumerateArray()
            .Select(e => (e.GetProperty("id").GetInt64(), e.GetProperty("type").GetString()!)).ToHashSet();
        Assert.Equal(log, all.Select(r => (r.EventId, r.Type)).ToHashSet());
        Assert.Contains(all, r => r.Type == "order.failed" && r.Json.GetProperty("data").GetProperty("order").GetProperty("id").GetInt64() == refused);
        Assert.Contains(all, r => r.Type == "order.cancelled" && r.Json.GetProperty("data").GetProperty("order").GetProperty("id").GetInt64() == cancelled);
        Assert.Contains(all, r => r.Type == "balance.credited" && r.Json.GetProperty("data").GetProperty("transaction").GetProperty("type").GetString() == "refund");
    }

    [Fact]
    public async Task A_receiver_that_fails_twice_gets_the_event_on_the_third_attempt_with_the_same_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        var secret = await RegisterAsync(partner, receiver, """["order.created"]""");
        var failures = 0;
        receiver.Answer = _ => Interlocked.Increment(ref failures) <= 2 ? 503 : 200;

        var id = (await partner.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();

        var attempts = await receiver.WaitForAsync(_ => true, 3, "three attempts");
        Assert.Single(attempts.Select(a => a.EventId).Distinct());
        Assert.All(attempts, a => AssertSigned(a, secret));
        Assert.Equal(id, attempts[2].Json.GetProperty("data").GetProperty("order").GetProperty("id").GetInt64());
        var log = await Eventually.WaitAsync(
            async () => (await (await partner.Client.GetAsync("/api/v1/webhook/deliveries")).AssertOkAsync()).GetProperty("items").EnumerateArray().ToList(),
            items => items.Count >= 3 && items[0].GetProperty("delivered").GetBoolean(),
            "three attempts logged");
        Assert.Equal([3, 2, 1], log.Take(3).Select(a => a.GetProperty("attempt").GetInt32()));
        Assert.Equal([200, 503, 503], log.Take(3).Select(a => a.GetProperty("status_code").GetInt32()));
        Assert.Equal(JsonValueKind.Null, log[0].GetProperty("next_attempt_at").ValueKind);
        var endpoint = await (await partner.Client.GetAsync("/api/v1/webhook")).AssertOkAsync();
        Assert.True(endpoint.GetProperty("last_delivery").GetProperty("delivered").GetBoolean());
        Assert.False(endpoint.TryGetProperty("secret", out _));
        Assert.StartsWith(endpoint.GetProperty("secret_prefix").GetString()!, secret, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotation_signs_with_both_secrets_during_the_overlap_and_then_only_the_new_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        var oldSecret = await RegisterAsync(partner, receiver, """["order.created"]""");
        var rotated = await (await partner.Client.PostAsync("/api/v1/webhook/rotate-secret", null)).AssertOkAsync();
        var newSecret = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(oldSecret, newSecret);

        await partner.CreatedStarsOrderAsync();
        var during = (await receiver.WaitForAsync(_ => true, 1, "a delivery during the overlap"))[0];
        Assert.Equal(2, during.Signature.Split(',').Count(p => p.StartsWith("v1=", StringComparison.Ordinal)));
        AssertSigned(during, newSecret);
        AssertSigned(during, oldSecret);

        // The overlap ends (as 24 hours later).
        await Db.ExecuteAsync(factory, "UPDATE webhook_retiring_secrets SET expires_at = now() - interval '1 second' WHERE partner_id = $1", partner.PartnerId);
        await partner.CreatedStarsOrderAsync();
        var after = (await receiver.WaitForAsync(_ => true, 2, "a delivery after the overlap"))[1];
        Assert.Single(after.Signature.Split(','), p => p.StartsWith("v1=", StringComparison.Ordinal));
        AssertSigned(after, newSecret);
        Assert.False(WebhookSignature.Verify(after.Signature, after.Body, oldSecret, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task Redeliver_and_ping_send_again_and_another_partner_sees_nothing()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        var stranger = await NewPartnerAsync();
        await RegisterAsync(partner, receiver, """["order.created"]""");
        await partner.CreatedStarsOrderAsync();
        var first = (await receiver.WaitForAsync(_ => true, 1, "the first delivery"))[0];
        var attempt = await Eventually.WaitAsync(
            async () => (await (await partner.Client.GetAsync("/api/v1/webhook/deliveries")).AssertOkAsync()).GetProperty("items").EnumerateArray().ToList(),
            items => items.Count >= 1,
            "the attempt logged");

        await (await stranger.Client.PostAsync($"/api/v1/webhook/deliveries/{attempt[0].GetProperty("id").GetInt64()}/redeliver", null)).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await stranger.Client.GetAsync("/api/v1/webhook")).AssertErrorAsync(404, ErrorCodes.NotFound);
        Assert.Equal(0, (await (await stranger.Client.GetAsync("/api/v1/webhook/deliveries")).AssertOkAsync()).GetProperty("total").GetInt32());
        await (await partner.Client.PostAsync($"/api/v1/webhook/deliveries/{attempt[0].GetProperty("id").GetInt64()}/redeliver", null)).AssertOkAsync();
        var again = await receiver.WaitForAsync(r => r.EventId == first.EventId, 2, "the redelivery");
        Assert.Equal(first.Body, again[1].Body);

        await (await partner.Client.PostAsync("/api/v1/webhook/test", null)).AssertOkAsync();
        await receiver.WaitForAsync(r => r.Type == "ping", 1, "the ping");
        await (await stranger.Client.PostAsync("/api/v1/webhook/test", null)).AssertErrorAsync(404, ErrorCodes.NotFound);

        await (await partner.Client.DeleteAsync("/api/v1/webhook")).AssertOkAsync();
        await (await partner.Client.GetAsync("/api/v1/webhook")).AssertErrorAsync(404, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task Concurrent_rotations_keep_the_secret_in_use_before_them_signing_and_stop_at_the_limit()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        var original = await RegisterAsync(partner, receiver, """["order.created"]""");

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => partner.Client.PostAsync("/api/v1/webhook/rotate-secret", null)));

        var issued = new List<string>();
        foreach (var answer in answers)
        {
            if (answer.StatusCode == System.Net.HttpStatusCode.OK)
            {
                issued.Add((await answer.AssertOkAsync()).GetProperty("secret").GetString()!);
            }
            else
            {
                await answer.AssertErrorAsync(409, ErrorCodes.SecretRotationLimit);
            }
        }

        Assert.Equal(WebhookOptions.MaxRetiringSecrets, issued.Count);
        await partner.CreatedStarsOrderAsync();
        var delivery = (await receiver.WaitForAsync(_ => true, 1, "a delivery after the rotations"))[0];
        Assert.Equal(1 + WebhookOptions.MaxRetiringSecrets, delivery.Signature.Split(',').Count(p => p.StartsWith("v1=", StringComparison.Ordinal)));
        // Whoever was answered last holds the newest secret; the one deployed before any of this still verifies, and so does every one issued.
        AssertSigned(delivery, original);
        Assert.All(issued, secret => AssertSigned(delivery, secret));
    }

    [Fact]
    public async Task A_rotation_retried_with_its_idempotency_key_answers_the_same_secret_stored_encrypted()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        var original = await RegisterAsync(partner, receiver, """["order.created"]""");

        async Task<HttpResponseMessage> RotateAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhook/rotate-secret");
            request.Headers.Add("Idempotency-Key", "rotate-once-7f1c");
            return await partner.Client.SendAsync(request);
        }

        var first = await RotateAsync();
        var firstBody = await first.Content.ReadAsByteArrayAsync();
        var again = await RotateAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(firstBody, await again.Content.ReadAsByteArrayAsync());
        var secret = JsonDocument.Parse(firstBody).RootElement.GetProperty("data").GetProperty("secret").GetString()!;
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM webhook_retiring_secrets WHERE partner_id = $1", partner.PartnerId));
        Assert.Equal(0, await Db.ScalarAsync(
            factory,
            "SELECT count(*) FROM idempotency_records WHERE partner_id = $1 AND (NOT response_protected OR position(convert_to($2, 'UTF8') in response_body) > 0)",
            partner.PartnerId,
            secret));

        await partner.CreatedStarsOrderAsync();
        var delivery = (await receiver.WaitForAsync(_ => true, 1, "a delivery after the rotation"))[0];
        AssertSigned(delivery, secret);
        AssertSigned(delivery, original);
    }

    [Fact]
    public async Task Deliveries_count_every_attempt_even_past_the_last_page()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        await RegisterAsync(partner, receiver);
        await (await partner.Client.PostAsync("/api/v1/webhook/test", null)).AssertOkAsync();
        await Eventually.WaitAsync(
            async () => (await (await partner.Client.GetAsync("/api/v1/webhook/deliveries")).AssertOkAsync()).GetProperty("total").GetInt32(),
            total => total == 1,
            "the ping's attempt logged");

        var beyond = await (await partner.Client.GetAsync("/api/v1/webhook/deliveries?offset=50")).AssertOkAsync();

        Assert.Empty(beyond.GetProperty("items").EnumerateArray());
        Assert.Equal(1, beyond.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Event_ids_are_counted_per_partner_and_tell_nothing_of_others()
    {
        var busy = await NewPartnerAsync();
        var quiet = await NewPartnerAsync();
        await Db.ExecuteAsync(factory, "INSERT INTO events (partner_id, type, snapshot) SELECT $1, 'ping', '{}'::jsonb FROM generate_series(1, 50)", busy.PartnerId);
        await Db.ExecuteAsync(factory, "INSERT INTO events (partner_id, type, snapshot) SELECT $1, 'ping', '{}'::jsonb FROM generate_series(1, 3)", quiet.PartnerId);

        async Task<List<long>> IdsAsync(PartnerApi partner, int count) =>
            await Eventually.WaitAsync(
                async () => (await (await partner.Client.GetAsync("/api/v1/events?limit=100")).AssertOkAsync()).GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToList(),
                ids => ids.Count == count,
                $"{count} events numbered");

        Assert.Equal([1, 2, 3], await IdsAsync(quiet, 3));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), await IdsAsync(busy, 50));
    }

    /// <summary>What openapi/v1.json says the POST carries (its <c>webhooks</c> entry) is what a receiver gets, rotation included.</summary>
    [Fact]
    public async Task A_delivery_carries_what_the_committed_openapi_document_describes()
    {
        var documented = JsonNode.Parse(await File.ReadAllTextAsync(Infrastructure.OpenApiDocumentTests.CommittedPath))!;
        var post = documented["webhooks"]!["event"]!["post"]!;
        var eventSchema = documented["components"]!["schemas"]!["EventResponse"]!;
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        await RegisterAsync(partner, receiver, """["order.created"]""");
        await (await partner.Client.PostAsync("/api/v1/webhook/rotate-secret", null)).AssertOkAsync();
        await partner.CreatedStarsOrderAsync();
        var received = (await receiver.WaitForAsync(_ => true, 1, "a delivery"))[0];

        Assert.StartsWith("application/json", received.Headers["Content-Type"], StringComparison.Ordinal);
        var headers = post["parameters"]!.AsArray().Select(p => p!).Where(p => p["in"]!.GetValue<string>() == "header").ToList();
        Assert.Equal(3, headers.Count);
        foreach (var header in headers)
        {
            var name = header["name"]!.GetValue<string>();
            Assert.True(received.Headers.TryGetValue(name, out var value), $"{name} missing");
            var schema = header["schema"]!;
            if (schema["pattern"] is { } pattern)
            {
                Assert.Matches(pattern.GetValue<string>(), value);
            }

            if (schema["enum"] is JsonArray values)
            {
                Assert.Contains(value, values.Select(v => v!.GetValue<string>()));
            }
        }

        Assert.Equal(2, received.Signature.Split(",v1=").Length - 1);
        var body = JsonNode.Parse(received.Body)!.AsObject();
        Assert.Equal(
            eventSchema["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order(StringComparer.Ordinal),
            body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(received.Headers["TOM-Event-Id"], body["id"]!.ToJsonString());
        Assert.Contains(body["type"]!.GetValue<string>(), post["requestBody"]!["content"]!["application/json"]!["examples"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task Three_workers_deliver_four_hundred_events_each_exactly_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var partner = await NewPartnerAsync();
        await RegisterAsync(partner, receiver, """["order.created"]""");
        await Db.ExecuteAsync(factory, "INSERT INTO events (partner_id, type, snapshot) SELECT $1, 'ping', '{}'::jsonb FROM generate_series(1, 400)", partner.PartnerId);
        // Two more workers as two more instances would run them (each its own in-flight slots), beside the host's own.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var worker = ActivatorUtilities.CreateInstance<WebhookDeliveryWorker>(factory.Services, new WebhookInFlight());
            while (receiver.Received.Count(r => r.Type == "ping") < 400 && !stop.IsCancellationRequested)
            {
                await worker.RunAsync(stop.Token);
            }
        })).ToList();
        await Task.WhenAll(workers);

        var all = await receiver.WaitForAsync(r => r.Type == "ping", 400, "400 pings");
        await Task.Delay(300);
        Assert.Equal(400, receiver.Received.Count(r => r.Type == "ping"));
        Assert.Equal(400, receiver.Received.Where(r => r.Type == "ping").Select(r => r.EventId).Distinct().Count());
    }
}

/// <summary>
/// An endpoint that never answers 2xx, at the default retry settings, on a manual clock that the test moves
/// to each attempt's due time: the waits follow the documented schedule (10 s doubling, each 50–100 %, at
/// most 6 h), the event fails once it has waited <c>MaxAttemptAge</c> (3 days), the endpoint is disabled,
/// the partner is told through the bot (no secret in the message), nothing more is sent while disabled,
/// and <c>PUT /webhook</c> enables it again.
/// </summary>
public sealed class WebhookDisableTests(WebhookDisableTests.Factory factory) : IClassFixture<WebhookDisableTests.Factory>
{
    private const long TelegramUserId = 160_001;

    public sealed class Factory : WebhookFactory
    {
        public Factory() => Clock = new ManualTimeProvider(DateTimeOffset.UtcNow);

        public FakeBotApi Bot { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            Bot = await FakeBotApi.StartAsync(Telegram.BotFactory.Token);
            await base.InitializeAsync();
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await Bot.DisposeAsync();
        }

        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            // The shipped schedule: RetryBaseDelay, RetryMaxDelay and MaxAttemptAge at their defaults.
            settings.Remove("Webhooks:RetryBaseDelay");
            settings.Remove("Webhooks:RetryMaxDelay");
            settings.Remove("Webhooks:MaxAttemptAge");
            settings["Telegram:BotToken"] = Telegram.BotFactory.Token;
            settings["Telegram:ApiBaseUrl"] = Bot.Url;
            settings["Telegram:LongPollTimeout"] = "00:00:01";
        }
    }

    [Fact]
    public async Task An_endpoint_that_never_answers_2xx_is_retried_on_the_schedule_disabled_after_three_days_then_enabled_by_put()
    {
        var clock = factory.Clock!;
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => 500;
        var partner = await PartnerApi.CreateAsync(factory, TelegramUserId);
        var put = new StringContent($$"""{"url": "{{receiver.Url}}", "events": ["order.created"]}""", Encoding.UTF8, "application/json");
        var secret = (await (await partner.Client.PutAsync("/api/v1/webhook", put)).AssertOkAsync()).GetProperty("secret").GetString()!;
        await partner.CreatedStarsOrderAsync();
        var queuedAt = clock.GetUtcNow();
        await receiver.WaitForAsync(_ => true, 1, "the first attempt");

        var waits = new List<TimeSpan>();
        while (true)
        {
            // The attempt the receiver just answered, once recorded: the delivery is pending again (due when?) or failed.
            var attempts = receiver.Received.Count;
            var recorded = await Eventually.WaitAsync(
                () => Db.ScalarAsync(factory, "SELECT count(*) FROM webhook_attempts WHERE partner_id = $1", partner.PartnerId),
                count => count == attempts,
                $"attempt {attempts} recorded");
            Assert.Equal(attempts, recorded);
            var failed = await Db.ScalarAsync(factory, "SELECT count(*) FROM webhook_deliveries WHERE partner_id = $1 AND status = 'failed'", partner.PartnerId);
            if (failed == 1)
            {
                break;
            }

            Assert.True(waits.Count < 60, $"still retrying after {waits.Count + 1} attempts");
            var dueMs = await Db.ScalarAsync(
                factory,
                "SELECT (extract(epoch FROM next_attempt_at) * 1000)::bigint FROM webhook_deliveries WHERE partner_id = $1 AND status = 'pending'",
                partner.PartnerId);
            var wait = DateTimeOffset.FromUnixTimeMilliseconds(dueMs) - clock.GetUtcNow();
            waits.Add(wait);
            clock.Advance(wait + TimeSpan.FromMilliseconds(1));
            await receiver.WaitForAsync(_ => true, attempts + 1, $"attempt {attempts + 1} after waiting {wait}");
        }

        // Before attempt n (n ≥ 2): 50–100 % of min(10 s × 2^(n-2), 6 h) — the README's table.
        for (var i = 0; i < waits.Count; i++)
        {
            var ceiling = TimeSpan.FromSeconds(Math.Min(10 * Math.Pow(2, i), TimeSpan.FromHours(6).TotalSeconds));
            Assert.InRange(waits[i], (ceiling / 2) - TimeSpan.FromMilliseconds(1), ceiling + TimeSpan.FromMilliseconds(1));
        }

        // Failed at the first attempt made 3 days or more after the event was queued, not before.
        var total = clock.GetUtcNow() - queuedAt;
        Assert.True(total >= TimeSpan.FromDays(3), $"failed after {total}");
        Assert.True(total - waits[^1] < TimeSpan.FromDays(3), $"an attempt at {total - waits[^1]} should have been retried");
        Assert.InRange(receiver.Received.Count, 20, 40);
        Assert.Single(receiver.Received.Select(r => r.EventId).Distinct());

        var endpoint = await (await partner.Client.GetAsync("/api/v1/webhook")).AssertOkAsync();
        Assert.False(endpoint.GetProperty("enabled").GetBoolean());
        Assert.Contains("PUT /webhook", endpoint.GetProperty("disabled_reason").GetString(), StringComparison.Ordinal);
        var notice = await Eventually.WaitAsync(
            () => Task.FromResult(factory.Bot.CallsOf("sendMessage").Where(c => c.Body.GetProperty("chat_id").GetInt64() == TelegramUserId).ToList()),
            calls => calls.Count == 1,
            "the partner told through the bot");
        Assert.Contains("webhook endpoint was disabled", notice[0].Text, StringComparison.Ordinal);
        Assert.Contains("3 days", notice[0].Text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, notice[0].Raw, StringComparison.Ordinal);
        Assert.DoesNotContain("whsec_", notice[0].Raw, StringComparison.Ordinal);

        // Disabled: a new event is not sent, however long one waits.
        var tried = receiver.Received.Count;
        await partner.CreatedStarsOrderAsync();
        clock.Advance(TimeSpan.FromHours(7));
        await Task.Delay(500);
        Assert.Equal(tried, receiver.Received.Count);

        receiver.Answer = _ => 200;
        var again = new StringContent($$"""{"url": "{{receiver.Url}}", "events": ["order.created"]}""", Encoding.UTF8, "application/json");
        var enabled = await (await partner.Client.PutAsync("/api/v1/webhook", again)).AssertOkAsync();
        Assert.True(enabled.GetProperty("enabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, enabled.GetProperty("secret").ValueKind);
        await partner.CreatedStarsOrderAsync();
        await receiver.WaitForAsync(r => receiver.Answer(r) == 200, tried + 1, "a delivery after re-enabling");
    }
}

/// <summary>With AllowPrivateNetworks and AllowInsecureUrls off (production), registration refuses unsafe URLs with 422.</summary>
public sealed class WebhookUrlRegistrationTests(WebhookUrlRegistrationTests.Factory factory) : IClassFixture<WebhookUrlRegistrationTests.Factory>
{
    private static int s_nextUser = 170_000;

    public sealed class Factory : ApiFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Webhooks:AllowInsecureUrls"] = "false";
            settings["Webhooks:AllowPrivateNetworks"] = "false";
        }
    }

    [Theory]
    [InlineData("http://example.com/hooks")]
    [InlineData("ftp://example.com/hooks")]
    [InlineData("https://user:pass@example.com/hooks")]
    [InlineData("https://127.0.0.1/hooks")]
    [InlineData("https://localhost/hooks")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://10.0.0.8/hooks")]
    [InlineData("https://[::1]/hooks")]
    [InlineData("https://[::ffff:127.0.0.1]/hooks")]
    [InlineData("https://100.64.0.1/hooks")]
    [InlineData("not a url")]
    public async Task Unsafe_urls_are_refused_with_422_and_nothing_is_stored(string url)
    {
        var partner = await PartnerApi.CreateAsync(factory, Interlocked.Increment(ref s_nextUser));
        var body = new StringContent(JsonSerializer.Serialize(new { url }), Encoding.UTF8, "application/json");

        await (await partner.Client.PutAsync("/api/v1/webhook", body)).AssertErrorAsync(422, ErrorCodes.ValidationError);

        await (await partner.Client.GetAsync("/api/v1/webhook")).AssertErrorAsync(404, ErrorCodes.NotFound);
    }
}

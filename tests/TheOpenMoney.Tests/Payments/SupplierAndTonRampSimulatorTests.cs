using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.Payments;

/// <summary>The supplier (Stars/Premium delivery) and TonRamp (seed 004) fakes, over real HTTP; no database.</summary>
public sealed class SupplierAndTonRampSimulatorTests : IAsyncLifetime
{
    private const string SupplierKey = "sup-k3y";
    private const string Wallet = "UQBJ6gU8gh_jRrzYDlfw9cpCwHaSn2mrK4O-1h8CDENehGYJ";

    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private HttpClient _supplier = null!;

    private SupplierState Supplier => _app.Services.GetRequiredService<SupplierState>();

    private TonRampState TonRamp => _app.Services.GetRequiredService<TonRampState>();

    public async Task InitializeAsync()
    {
        (_app, _client) = await StartAsync(o => o.SupplierApiKey = SupplierKey);
        _supplier = new HttpClient { BaseAddress = _client.BaseAddress };
        _supplier.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SupplierKey);
    }

    public async Task DisposeAsync()
    {
        _supplier.Dispose();
        await StopAsync(_app, _client);
    }

    // ------------------------------------------------------------------ supplier

    [Fact]
    public async Task Supplier_delivers_once_per_idempotency_key_and_replays_the_first_answer()
    {
        var first = await DeliverAsync("key-1", new { order_id = 123, product = "stars", username = "pandus", quantity = 100 });
        var second = await DeliverAsync("key-1", new { order_id = 123, product = "stars", username = "pandus", quantity = 100 });

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        var reference = first.Body.GetProperty("reference").GetString()!;
        Assert.Matches("^SUP-[A-Z0-9]{10}$", reference);
        Assert.Equal("delivered", first.Body.GetProperty("status").GetString());
        Assert.Equal(123, first.Body.GetProperty("order_id").GetInt64());
        Assert.Equal(reference, second.Body.GetProperty("reference").GetString());
        Assert.Equal(1, Supplier.DeliveriesFor(123));
        Assert.Equal(1, Supplier.TotalDeliveries);

        var other = await DeliverAsync("key-2", new { order_id = 123, product = "premium", username = "@pandus", months = 3 });
        Assert.Equal(HttpStatusCode.OK, other.Status);
        Assert.NotEqual(reference, other.Body.GetProperty("reference").GetString());
        Assert.Equal(2, Supplier.DeliveriesFor(123));
        Assert.Equal(0, Supplier.DeliveriesFor(124));
    }

    [Fact]
    public async Task Supplier_concurrent_posts_with_one_key_deliver_once()
    {
        var request = new { order_id = 321, product = "stars", username = "pandus", quantity = 500 };

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => DeliverAsync("race-1", request)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Single(answers.Select(a => a.Body.GetProperty("reference").GetString()).Distinct());
        Assert.Equal(1, Supplier.DeliveriesFor(321));
    }

    [Fact]
    public async Task Supplier_refuses_fail_usernames_permanently_with_422()
    {
        var first = await DeliverAsync("refuse-1", new { order_id = 7, product = "stars", username = "FailBob", quantity = 50 });
        var again = await DeliverAsync("refuse-1", new { order_id = 7, product = "stars", username = "FailBob", quantity = 50 });

        foreach (var answer in new[] { first, again })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.Status);
            Assert.Equal("recipient cannot receive", answer.Body.GetProperty("error").GetString());
            Assert.Equal("RECIPIENT_REFUSED", answer.Body.GetProperty("code").GetString());
        }

        Assert.Equal(0, Supplier.DeliveriesFor(7));
        var lookup = await _supplier.GetAsync("/supplier/v1/deliveries/refuse-1");
        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
        var body = await JsonAsync(lookup);
        Assert.Equal("refused", body.GetProperty("status").GetString());
        Assert.Equal("RECIPIENT_REFUSED", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Supplier_injected_failures_are_transient_and_remember_nothing()
    {
        Supplier.FailNext(1);
        var request = new { order_id = 9, product = "stars", username = "pandus", quantity = 100 };

        var failed = await DeliverAsync("flaky-1", request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.Status);
        Assert.Equal("supplier unavailable", failed.Body.GetProperty("error").GetString());
        Assert.Equal(0, Supplier.TotalDeliveries);
        Assert.Equal(HttpStatusCode.NotFound, (await _supplier.GetAsync("/supplier/v1/deliveries/flaky-1")).StatusCode);

        var retried = await DeliverAsync("flaky-1", request);
        Assert.Equal(HttpStatusCode.OK, retried.Status);
        Assert.Equal(1, Supplier.DeliveriesFor(9));

        (await _client.PostAsJsonAsync("/_sim/supplier/fail", new { count = 1, status = 502 })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.BadGateway, (await DeliverAsync("flaky-2", request)).Status);
        Assert.Equal(1, Supplier.DeliveriesFor(9));
    }

    [Fact]
    public async Task Supplier_lookup_by_key_is_404_before_and_the_answer_after()
    {
        var before = await _supplier.GetAsync("/supplier/v1/deliveries/look-1");
        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Equal("not found", (await JsonAsync(before)).GetProperty("error").GetString());

        var delivered = await DeliverAsync("look-1", new { order_id = 55, product = "premium", username = "pandus", months = 6 });
        var after = await _supplier.GetAsync("/supplier/v1/deliveries/look-1");

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var body = await JsonAsync(after);
        Assert.Equal("delivered", body.GetProperty("status").GetString());
        Assert.Equal(delivered.Body.GetProperty("reference").GetString(), body.GetProperty("reference").GetString());
        Assert.Equal(55, body.GetProperty("order_id").GetInt64());
    }

    [Fact]
    public async Task Supplier_checks_the_key_the_idempotency_header_and_the_body()
    {
        using var anonymous = new HttpClient { BaseAddress = _client.BaseAddress };
        var unauthorized = await anonymous.PostAsJsonAsync("/supplier/v1/deliveries", new { order_id = 1 });
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("unauthorized", (await JsonAsync(unauthorized)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/supplier/v1/deliveries/x")).StatusCode);

        var health = await anonymous.GetAsync("/supplier/v1/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True((await JsonAsync(health)).GetProperty("ok").GetBoolean());

        var noKey = await _supplier.PostAsJsonAsync(
            "/supplier/v1/deliveries", new { order_id = 1, product = "stars", username = "pandus", quantity = 100 });
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);

        object[] invalid =
        [
            new { product = "stars", username = "pandus", quantity = 100 },
            new { order_id = 1, product = "ton", username = "pandus", quantity = 100 },
            new { order_id = 1, product = "stars", username = "", quantity = 100 },
            new { order_id = 1, product = "stars", username = "pandus" },
            new { order_id = 1, product = "premium", username = "pandus", months = 5 },
        ];
        var index = 0;
        foreach (var body in invalid)
        {
            var answer = await DeliverAsync($"bad-{index++}", body);
            Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
            Assert.True(answer.Body.TryGetProperty("error", out _));
        }

        Assert.Equal(0, Supplier.TotalDeliveries);
        Assert.Equal(HttpStatusCode.NotFound, (await _supplier.GetAsync("/supplier/v1/deliveries/bad-0")).StatusCode);
    }

    [Fact]
    public async Task Supplier_delay_lets_the_client_die_after_the_delivery_and_the_retry_replays_it()
    {
        (await _client.PostAsJsonAsync("/_sim/supplier/delay", new { ms = 3000 })).EnsureSuccessStatusCode();
        Assert.Equal(3000, Supplier.DelayMs);
        var request = new { order_id = 77, product = "stars", username = "pandus", quantity = 250 };
        using (var impatient = new HttpClient { BaseAddress = _client.BaseAddress, Timeout = TimeSpan.FromMilliseconds(300) })
        {
            impatient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SupplierKey);
            using var message = DeliveryMessage("slow-1", request);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.SendAsync(message));
        }

        Assert.Equal(1, Supplier.DeliveriesFor(77));
        var started = DateTimeOffset.UtcNow;
        var retried = await DeliverAsync("slow-1", request);

        Assert.Equal(HttpStatusCode.OK, retried.Status);
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(2), "a replay is not delayed");
        Assert.Equal(Supplier.GetDeliveries().Single().Reference, retried.Body.GetProperty("reference").GetString());
        Assert.Equal(1, Supplier.DeliveriesFor(77));

        var state = JsonDocument.Parse(await _client.GetStringAsync("/_sim/supplier/state")).RootElement;
        Assert.Equal(1, state.GetProperty("total_deliveries").GetInt32());
        Assert.Equal(1, state.GetProperty("by_order").GetProperty("77").GetInt32());
    }

    // ------------------------------------------------------------------ TonRamp

    [Fact]
    public async Task TonRamp_generate_returns_the_three_links_and_status_follows_the_transaction()
    {
        var response = await _client.PostAsJsonAsync("/api/v1/wallet/trp/generate", new
        {
            wallet = Wallet,
            merchant = "store123",
            amount = "100.00",
            currency = "BRL",
            tx_id = "tx123456",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.True(body.GetProperty("success").GetBoolean());
        var payload = body.GetProperty("payload").GetString()!;
        Assert.StartsWith("trp010148" + Wallet, payload, StringComparison.Ordinal);
        Assert.Equal("https://trp.tonramp.io/" + payload, body.GetProperty("deep_link").GetString());
        Assert.Equal("https://t.me/TonRmpBot/tonramp?startapp=" + payload, body.GetProperty("telegram_link").GetString());

        var again = await JsonAsync(await _client.PostAsJsonAsync("/api/v1/wallet/trp/generate", new
        {
            wallet = Wallet,
            merchant = "store123",
            amount = 100.00m,
            tx_id = "tx123456",
        }));
        Assert.Equal(payload, again.GetProperty("payload").GetString());

        var status = await JsonAsync(await _client.GetAsync("/api/v1/trp/status/tx123456"));
        Assert.Equal("pending", status.GetProperty("status").GetString());
        Assert.Equal("100.00", status.GetProperty("amount").GetString());
        Assert.Equal("BRL", status.GetProperty("currency").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", status.GetProperty("updated_at").GetString()!);

        (await _client.PostAsJsonAsync("/_sim/tonramp/status", new { tx_id = "tx123456", status = "paid" })).EnsureSuccessStatusCode();
        Assert.Equal("paid", (await JsonAsync(await _client.GetAsync("/api/v1/trp/status/tx123456"))).GetProperty("status").GetString());
        TonRamp.SetStatus("tx123456", "completed");
        Assert.Equal("completed", TonRamp.FindTransaction("tx123456")!.Status);

        var missing = await _client.GetAsync("/api/v1/trp/status/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Transaction not found", (await JsonAsync(missing)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task TonRamp_generate_without_tx_id_makes_one_and_invalid_input_is_422()
    {
        var generated = await _client.PostAsJsonAsync("/api/v1/wallet/trp/generate", new { wallet = Wallet, merchant = "m", amount = 0.417m, currency = "TON" });
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        Assert.Equal(1, TonRamp.TransactionCount);

        object[] invalid =
        [
            new { wallet = "short", merchant = "m", amount = "1" },
            new { wallet = Wallet, merchant = new string('m', 33), amount = "1" },
            new { wallet = Wallet, merchant = "m", amount = "-1" },
            new { wallet = Wallet, merchant = "m", amount = "1", currency = "GBP" },
            new { wallet = Wallet, amount = "1" },
        ];
        foreach (var body in invalid)
        {
            var response = await _client.PostAsJsonAsync("/api/v1/wallet/trp/generate", body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal(JsonValueKind.String, (await JsonAsync(response)).GetProperty("detail").ValueKind);
        }

        Assert.Equal(1, TonRamp.TransactionCount);
    }

    [Fact]
    public async Task TonRamp_the_31st_generate_within_a_minute_is_429()
    {
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await GenerateAsync(_client, $"rl-{i}")).StatusCode);
        }

        var over = await GenerateAsync(_client, "rl-30");

        Assert.Equal(HttpStatusCode.TooManyRequests, over.StatusCode);
        Assert.Equal("Rate limit exceeded", (await JsonAsync(over)).GetProperty("detail").GetString());
        Assert.Null(TonRamp.FindTransaction("rl-30"));
        Assert.Equal(31, TonRamp.Requests(TonRampState.GenerateRoute));
        Assert.Equal(1, TonRamp.Rejected(TonRampState.GenerateRoute));
        Assert.Equal(31, TonRamp.MaxInAnyWindow(TonRampState.GenerateRoute, TimeSpan.FromMinutes(1)));
        Assert.Equal(0, TonRamp.Requests(TonRampState.StatusRoute));

        var state = JsonDocument.Parse(await _client.GetStringAsync("/_sim/tonramp/state")).RootElement;
        Assert.Equal(31, state.GetProperty("generate").GetProperty("requests").GetInt32());
        Assert.Equal(1, state.GetProperty("generate").GetProperty("rejected").GetInt32());
        Assert.Equal(31, state.GetProperty("generate").GetProperty("max_per_minute").GetInt32());
        Assert.Equal(0, state.GetProperty("preference").GetProperty("requests").GetInt32());
    }

    [Fact]
    public async Task TonRamp_limits_are_a_moving_window_counted_exactly()
    {
        var clock = new ManualTimeProvider();
        var (app, client) = await StartAsync(o => o.Clock = clock);
        try
        {
            var tonRamp = app.Services.GetRequiredService<TonRampState>();
            for (var i = 0; i < 30; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await GenerateAsync(client, $"mw-{i}")).StatusCode);
            }

            Assert.Equal(HttpStatusCode.TooManyRequests, (await GenerateAsync(client, "mw-a")).StatusCode);
            clock.Advance(TimeSpan.FromSeconds(59));
            Assert.Equal(HttpStatusCode.TooManyRequests, (await GenerateAsync(client, "mw-b")).StatusCode);
            clock.Advance(TimeSpan.FromSeconds(1));
            // Exactly one minute after the first 30: they still count.
            Assert.Equal(HttpStatusCode.TooManyRequests, (await GenerateAsync(client, "mw-c")).StatusCode);
            clock.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(HttpStatusCode.OK, (await GenerateAsync(client, "mw-d")).StatusCode);

            const string route = TonRampState.GenerateRoute;
            Assert.Equal(34, tonRamp.Requests(route));
            Assert.Equal(3, tonRamp.Rejected(route));
            Assert.Equal(33, tonRamp.MaxInAnyWindow(route, TimeSpan.FromMinutes(1)));
            Assert.Equal(31, tonRamp.MaxInAnyWindow(route, TimeSpan.FromSeconds(58)));
            Assert.Equal(31, tonRamp.MaxInAnyWindow(route, TimeSpan.Zero));
            Assert.Equal(34, tonRamp.MaxInAnyWindow(route, TimeSpan.FromMinutes(2)));

            // Preference: 10 per minute.
            for (var i = 0; i < 10; i++)
            {
                var ok = await client.PostAsJsonAsync("/api/v1/trp/preference", new { platform = "telegram" });
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
                Assert.Equal("telegram", (await JsonAsync(ok)).GetProperty("platform").GetString());
            }

            Assert.Equal(
                HttpStatusCode.TooManyRequests,
                (await client.PostAsJsonAsync("/api/v1/trp/preference", new { platform = "google" })).StatusCode);
            Assert.Equal(1, tonRamp.Rejected(TonRampState.PreferenceRoute));
            Assert.Equal(11, tonRamp.MaxInAnyWindow(TonRampState.PreferenceRoute, TimeSpan.FromMinutes(1)));
        }
        finally
        {
            await StopAsync(app, client);
        }
    }

    [Fact]
    public async Task TonRamp_injected_failures_count_as_requests_but_not_as_rejected()
    {
        TonRamp.FailNext(2);

        var generate = await GenerateAsync(_client, "f-1");
        var status = await _client.GetAsync("/api/v1/trp/status/f-1");
        var recovered = await GenerateAsync(_client, "f-1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, generate.StatusCode);
        Assert.Equal("unavailable", (await JsonAsync(generate)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status.StatusCode);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal(2, TonRamp.Requests(TonRampState.GenerateRoute));
        Assert.Equal(1, TonRamp.Requests(TonRampState.StatusRoute));
        Assert.Equal(0, TonRamp.Rejected(TonRampState.GenerateRoute));
        Assert.Equal(0, TonRamp.Rejected(TonRampState.StatusRoute));

        (await _client.PostAsJsonAsync("/_sim/tonramp/fail", new { count = 1, status = 500 })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.InternalServerError, (await _client.GetAsync("/api/v1/trp/status/f-1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/v1/trp/status/f-1")).StatusCode);

        TonRamp.Reset();
        Assert.Equal(0, TonRamp.Requests(TonRampState.StatusRoute));
        Assert.Null(TonRamp.FindTransaction("f-1"));
    }

    [Fact]
    public async Task TonRamp_api_key_from_configuration_is_required_when_set()
    {
        var (app, client) = await StartAsync(configure: null, "--Simulator:TonRampApiKey=ramp-key", "--Simulator:SupplierApiKey=cfg-sup");
        try
        {
            var denied = await GenerateAsync(client, "k-1");
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
            Assert.Equal("Invalid API key", (await JsonAsync(denied)).GetProperty("detail").GetString());

            client.DefaultRequestHeaders.Add("X-API-Key", "ramp-key");
            Assert.Equal(HttpStatusCode.OK, (await GenerateAsync(client, "k-1")).StatusCode);
            Assert.Equal("cfg-sup", app.Services.GetRequiredService<SimulatorOptions>().SupplierApiKey);
        }
        finally
        {
            await StopAsync(app, client);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static async Task<(WebApplication App, HttpClient Client)> StartAsync(
        Action<SimulatorOptions>? configure, params string[] extraArgs)
    {
        var app = SimulatorApp.Create(["--urls", "http://127.0.0.1:0", .. extraArgs], configure);
        await app.StartAsync();
        return (app, new HttpClient { BaseAddress = new Uri(app.Urls.Single()) });
    }

    private static async Task StopAsync(WebApplication app, HttpClient client)
    {
        client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static Task<HttpResponseMessage> GenerateAsync(HttpClient client, string txId) =>
        client.PostAsJsonAsync("/api/v1/wallet/trp/generate", new { wallet = Wallet, merchant = "store123", amount = "10.00", tx_id = txId });

    private static HttpRequestMessage DeliveryMessage(string key, object body)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "/supplier/v1/deliveries") { Content = JsonContent.Create(body) };
        message.Headers.Add("Idempotency-Key", key);
        return message;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> DeliverAsync(string key, object body)
    {
        using var message = DeliveryMessage(key, body);
        using var response = await _supplier.SendAsync(message);
        return (response.StatusCode, await JsonAsync(response));
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}

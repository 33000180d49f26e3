using System.Net.Http.Json;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using TheOpenMoney.Api.TonRamp;
using TheOpenMoney.Simulators;
using Xunit.Abstractions;

namespace TheOpenMoney.Tests.Fulfillment;

/// <summary>The API, the processor, TonRamp and the supplier all over HTTP on 127.0.0.1 (the last three in the simulator).</summary>
public class TonRampFactory : PaymentsFactory
{
    public SupplierState Supplier => Simulator.Services.GetRequiredService<SupplierState>();

    public TonRampState TonRamp => Simulator.Services.GetRequiredService<TonRampState>();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        var sim = Simulator.Urls.Single();
        settings["TonRamp:BaseUrl"] = sim;
        settings["TonRamp:MerchantId"] = "store123";
        settings["TonRamp:Http:RetryBaseDelay"] = "00:00:00.020";
        settings["Supplier:Mode"] = "Http";
        settings["Supplier:BaseUrl"] = sim + "/supplier";
        settings["Supplier:ApiKey"] = "supplier-key";
        settings["Supplier:Http:RetryBaseDelay"] = "00:00:00.020";
        settings["Fulfillment:RetryBaseDelay"] = "00:00:00.050";
        settings["Fulfillment:RetryMaxDelay"] = "00:00:00.200";
    }
}

public sealed class TonRampTests(TonRampFactory factory) : IClassFixture<TonRampFactory>
{
    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    private static async Task<JsonElement> OrderAsync(PartnerApi partner, long id) =>
        await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();

    [Fact]
    public async Task Tonramp_order_carries_links_is_paid_by_memo_and_completes()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var order = await partner.CreatedStarsOrderAsync(method: "tonramp");
        var id = order.GetProperty("id").GetInt64();
        var memo = order.GetProperty("payment_memo").GetString()!;

        var links = order.GetProperty("tonramp");
        Assert.StartsWith("trp01", links.GetProperty("payload").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("https://", links.GetProperty("deep_link").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("https://t.me/", links.GetProperty("telegram_link").GetString(), StringComparison.Ordinal);
        Assert.Equal("pending", links.GetProperty("status").GetString());
        var transaction = factory.TonRamp.FindTransaction(memo)!;
        Assert.Equal(order.GetProperty("payment_address").GetString(), transaction.Wallet);
        Assert.Equal("store123", transaction.Merchant);
        Assert.Equal("0.417", transaction.Amount);
        Assert.Equal("TON", transaction.Currency);

        factory.TonRamp.SetStatus(memo, "paid");
        Assert.True(await Jobs.RunOnceAsync<TonRampStatusRefresher>(factory.Services));
        Assert.Equal("paid", (await OrderAsync(partner, id)).GetProperty("tonramp").GetProperty("status").GetString());

        await factory.DepositAsync(0.417m, memo);
        await factory.PollAsync();
        var completed = await Delivery.DeliverAsync(factory, partner, id);

        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.StartsWith("SUP-", completed.GetProperty("supplier_reference").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, factory.Supplier.DeliveriesFor(id));
        var stats = await (await partner.Client.GetAsync("/api/v1/orders/stats/summary")).AssertOkAsync();
        Assert.Equal(1, stats.GetProperty("by_payment_method").GetProperty("tonramp").GetInt64());
    }

    [Fact]
    public async Task TonRamp_down_is_503_and_leaves_no_order()
    {
        var partner = await NewPartnerAsync();
        factory.TonRamp.FailNext(10);
        try
        {
            var response = await partner.CreateStarsAsync(method: "tonramp", idempotencyKey: Guid.NewGuid().ToString());

            await response.AssertErrorAsync(503, ErrorCodes.PaymentProviderUnavailable);
            Assert.True(response.Headers.Contains("Retry-After"));
            Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
            Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM idempotency_records WHERE partner_id = $1", partner.PartnerId));
        }
        finally
        {
            factory.TonRamp.FailNext(0);
        }
    }

    [Fact]
    public async Task Balance_order_is_delivered_over_http_exactly_once_and_a_refusal_is_refunded()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(2m, "http-supplier");
        var good = (await partner.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64();
        var refused = (await partner.CreatedStarsOrderAsync("failing_frank", method: "balance")).GetProperty("id").GetInt64();

        Assert.Equal("completed", (await Delivery.DeliverAsync(factory, partner, good)).GetProperty("status").GetString());
        var failed = await Delivery.DeliverAsync(factory, partner, refused);

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(0.417m, failed.GetProperty("refunded_ton").GetDecimal());
        Assert.Equal(1, factory.Supplier.DeliveriesFor(good));
        Assert.Equal(0, factory.Supplier.DeliveriesFor(refused));
        Assert.Equal(2m - 0.417m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task A_supplier_outage_is_retried_to_completion_over_http()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(1m, "outage");
        var id = (await partner.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64();
        factory.Supplier.FailNext(5);

        var completed = await Delivery.DeliverAsync(factory, partner, id);

        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal(1, factory.Supplier.DeliveriesFor(id));
        Assert.True(await Db.ScalarAsync(factory, "SELECT delivery_attempts FROM orders WHERE id = $1", id) >= 2);
    }
}

/// <summary>A fresh TonRamp and limiter: a burst of TonRamp orders never exceeds TonRamp's 30/min.</summary>
public sealed class TonRampBurstTests(TonRampFactory factory) : IClassFixture<TonRampFactory>
{
    [Fact]
    public async Task A_burst_of_tonramp_orders_stays_within_tonramps_limit()
    {
        var partner = await PartnerApi.CreateAsync(factory);

        var responses = await Task.WhenAll(Enumerable.Range(0, 45).Select(_ => partner.CreateStarsAsync(method: "tonramp")));

        var created = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(30, created);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await refused.AssertErrorAsync(503, ErrorCodes.PaymentProviderUnavailable);
        }

        Assert.Equal(30, factory.TonRamp.Requests(TonRampState.GenerateRoute));
        Assert.Equal(0, factory.TonRamp.Rejected(TonRampState.GenerateRoute));
        Assert.True(factory.TonRamp.MaxInAnyWindow(TonRampState.GenerateRoute, TonRampState.RateWindow) <= 30);
        Assert.Equal(30, await Db.OrderCountAsync(factory, partner.PartnerId));

        Assert.True(await Jobs.RunOnceAsync<TonRampStatusRefresher>(factory.Services));
        Assert.Equal(30, factory.TonRamp.Requests(TonRampState.StatusRoute));
        Assert.Equal(0, factory.TonRamp.Rejected(TonRampState.StatusRoute));
    }
}

/// <summary>A fresh TonRamp and limiter: a failed attempt that is retried costs a permit too (TonRamp counts every request).</summary>
public sealed class TonRampRetryTests(TonRampFactory factory) : IClassFixture<TonRampFactory>
{
    [Fact]
    public async Task Every_attempt_counts_against_tonramps_limit_retries_included()
    {
        // Before, the permit was taken once per order and Polly's retries went out on top of it: 5 failed
        // attempts made TonRamp see 35 requests in a minute for our 30.
        (await factory.Sim.PostAsJsonAsync("/_sim/tonramp/fail", new { count = 5, status = 503 })).EnsureSuccessStatusCode();
        var partner = await PartnerApi.CreateAsync(factory);

        var responses = await Task.WhenAll(Enumerable.Range(0, 45).Select(_ => partner.CreateStarsAsync(method: "tonramp")));

        Assert.Equal(30, factory.TonRamp.Requests(TonRampState.GenerateRoute));
        Assert.Equal(0, factory.TonRamp.Rejected(TonRampState.GenerateRoute));
        Assert.Equal(25, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await refused.AssertErrorAsync(503, ErrorCodes.PaymentProviderUnavailable);
        }

        Assert.Equal(25, await Db.OrderCountAsync(factory, partner.PartnerId));
    }
}

/// <summary>The API as a real process, killed after the supplier delivered but before it heard back.</summary>
public sealed class DeliveryCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private WebApplication _simulator = null!;
    private Dictionary<string, string> _environment = null!;

    private SupplierState Supplier => _simulator.Services.GetRequiredService<SupplierState>();

    public async Task InitializeAsync()
    {
        _simulator = SimulatorApp.Create(["--urls", "http://127.0.0.1:0"]);
        await _simulator.StartAsync();
        var sim = _simulator.Urls.Single();
        _environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = await (await PostgresServer.GetAsync()).CreateDatabaseAsync(),
            ["ApiKeys__Pepper"] = ApiFactory.Pepper,
            ["Webhooks__SecretKey"] = ApiFactory.WebhookSecretKey,
            ["Pricing__TonUsdRate"] = "3.6",
            ["Payments__OrdersAddress"] = ApiFactory.OrdersAddress,
            ["Supplier__Mode"] = "Http",
            ["Supplier__BaseUrl"] = sim + "/supplier",
            ["Supplier__ApiKey"] = "supplier-key",
            ["Fulfillment__PollInterval"] = "00:00:00.100",
            ["Fulfillment__Lease"] = "00:00:02",
        };
    }

    public async Task DisposeAsync()
    {
        await _simulator.StopAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task A_restart_mid_delivery_delivers_exactly_once()
    {
        var user = TestPartners.NextTelegramUserId().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var key = (await ApiProcess.RunCliAsync(_environment, "keys", "create", "--telegram-user-id", user)).Stdout.Trim();
        var credit = await ApiProcess.RunCliAsync(_environment, "balance", "credit", "--telegram-user-id", user, "--amount-ton", "1", "--ref", "crash");
        Assert.Equal(0, credit.ExitCode);
        Supplier.DelayMs = 30_000;
        long id;
        await using (var first = await ApiProcess.StartAsync(_environment))
        {
            using var client = new HttpClient { BaseAddress = new Uri(first.Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var body = new StringContent("""{"recipient_username": "pandus", "quantity": 100, "payment_method": "balance"}""", System.Text.Encoding.UTF8, "application/json");
            var created = await client.PostAsync("/api/v1/orders/stars", body);
            id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("id").GetInt64();

            await Eventually.WaitAsync(() => Task.FromResult(Supplier.DeliveriesFor(id)), n => n == 1, "the supplier to deliver");
            await first.KillAsync();
        }

        Assert.Equal("processing", await StatusAsync(id));
        Supplier.DelayMs = 0;
        await using (var second = await ApiProcess.StartAsync(_environment))
        {
            await Eventually.WaitAsync(() => StatusAsync(id), s => s == "completed", "the restarted worker to complete the order", seconds: 60);
        }

        Assert.Equal(1, Supplier.DeliveriesFor(id));
        var delivery = Assert.Single(Supplier.GetDeliveries(), d => d.Request.OrderId == id);
        Assert.Equal(delivery.Reference, await ScalarTextAsync("SELECT supplier_reference FROM orders WHERE id = $1", id));
        output.WriteLine($"order {id} delivered once as {delivery.Reference}");
    }

    private Task<string?> StatusAsync(long id) => ScalarTextAsync("SELECT status FROM orders WHERE id = $1", id);

    private async Task<string?> ScalarTextAsync(string sql, long id)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_environment["ConnectionStrings__Postgres"]);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        return (await command.ExecuteScalarAsync())?.ToString();
    }
}

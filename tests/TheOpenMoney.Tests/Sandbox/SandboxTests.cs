using Microsoft.AspNetCore.Http;
using System.Collections.Concurrent;
using TheOpenMoney.Api.Ton;
using TheOpenMoney.Api.Webhooks;
using TheOpenMoney.Tests.Fulfillment;
using TheOpenMoney.Tests.Webhooks;

namespace TheOpenMoney.Tests.Sandbox;

/// <summary>
/// Test mode end to end on real PostgreSQL, with every outside service live over HTTP on 127.0.0.1 (the
/// processor, the supplier and TonRamp in the simulator, the recipient directory a fake that counts what it is
/// asked), so "test mode calls nobody" is measured, not assumed.
/// </summary>
public sealed class SandboxTests(SandboxTests.Factory factory) : IClassFixture<SandboxTests.Factory>
{
    public sealed class Factory : TonRampFactory
    {
        public FakeHttpServer Directory { get; private set; } = null!;

        public ConcurrentQueue<string> DirectoryAsked { get; } = new();

        public override async Task InitializeAsync()
        {
            Directory = await FakeHttpServer.StartAsync();
            Directory.Handler = async context =>
            {
                DirectoryAsked.Enqueue(context.Request.Query["username"].ToString());
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"can_receive": true, "reason": null}""");
            };
            await base.InitializeAsync();
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await Directory.DisposeAsync();
        }

        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Recipients:Mode"] = "Http";
            settings["Recipients:BaseUrl"] = Directory.Url;
            settings["Webhooks:DispatchInterval"] = "00:00:00.050";
            settings["Webhooks:DeliveryInterval"] = "00:00:00.050";
        }
    }

    private static readonly string[] ProcessorWrites = ["POST /v1/address/new", "POST /v1/withdrawal/send"];

    private async Task<(PartnerApi Live, PartnerApi Test)> PartnerInBothModesAsync()
    {
        var telegramUserId = TestPartners.NextTelegramUserId();
        var live = await PartnerApi.CreateAsync(factory, telegramUserId);
        var test = await PartnerApi.CreateTestAsync(factory, telegramUserId);
        return (live, test);
    }

    private static Task<HttpResponseMessage> PostAsync(PartnerApi partner, string path, string? json = null) =>
        partner.Client.PostAsync(path, json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<JsonElement> PayAsync(PartnerApi partner, long orderId, string? json = null) =>
        await (await PostAsync(partner, $"/api/v1/sandbox/orders/{orderId}/pay", json)).AssertOkAsync();

    /// <summary>The partner's event log once it holds every one of <paramref name="types"/> (events are numbered by the dispatcher, just after their commit).</summary>
    private static Task<List<JsonElement>> EventsOnceAsync(PartnerApi partner, params string[] types) =>
        Eventually.WaitAsync(
            async () => (await (await partner.Client.GetAsync("/api/v1/events?limit=100")).AssertOkAsync()).GetProperty("items").EnumerateArray().ToList(),
            events => types.All(t => events.Any(e => e.GetProperty("type").GetString() == t)),
            $"events {string.Join(", ", types)}");

    private int ProcessorWriteCount() =>
        factory.Processor.GetRequestCounts().Where(c => ProcessorWrites.Contains(c.Key)).Sum(c => c.Value);

    [Fact]
    public async Task A_test_keys_day_runs_on_simulated_money_with_real_events_and_webhooks_and_calls_nobody()
    {
        var (live, test) = await PartnerInBothModesAsync();
        Assert.NotEqual(live.PartnerId, test.PartnerId);
        Assert.StartsWith("osk_test_", test.Key, StringComparison.Ordinal);
        await (await live.Client.GetAsync("/api/v1/balance")).AssertOkAsync(); // the live top-up address exists before we count
        var processorWrites = ProcessorWriteCount();
        var directoryAsked = factory.DirectoryAsked.Count;
        await using var receiver = await WebhookReceiver.StartAsync();
        var registered = await (await test.Client.PutAsync(
            "/api/v1/webhook", new StringContent($$"""{"url": "{{receiver.Url}}"}""", Encoding.UTF8, "application/json"))).AssertOkAsync();
        var secret = registered.GetProperty("secret").GetString()!;

        var me = await (await test.Client.GetAsync("/api/v1/partner")).AssertOkAsync();
        Assert.Equal("test", me.GetProperty("mode").GetString());
        Assert.Equal("live", (await (await live.Client.GetAsync("/api/v1/partner")).AssertOkAsync()).GetProperty("mode").GetString());

        // A ton_memo order: a testnet-form address with a valid checksum, paid in two parts, delivered by the simulated supplier.
        var order = await test.CreatedStarsOrderAsync();
        var orderId = order.GetProperty("id").GetInt64();
        var memo = order.GetProperty("payment_memo").GetString()!;
        Assert.False(order.GetProperty("livemode").GetBoolean());
        var address = order.GetProperty("payment_address").GetString()!;
        Assert.StartsWith("0Q", address, StringComparison.Ordinal);
        Assert.True(TonAddress.IsValid(address) && TonAddress.IsTestnet(address));
        var partial = await PayAsync(test, orderId, """{"amount_ton": 0.1}""");
        Assert.Equal("partial_payment", partial.GetProperty("applied_as").GetString());
        Assert.Equal("pending_payment", partial.GetProperty("order").GetProperty("status").GetString());
        var rest = await PayAsync(test, orderId);
        Assert.Equal("order_payment", rest.GetProperty("applied_as").GetString());
        Assert.Equal(order.GetProperty("price_nanoton").GetString(), rest.GetProperty("order").GetProperty("paid_nanoton").GetString());
        var completed = await Delivery.DeliverAsync(factory, test, orderId);
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.StartsWith("SIM-", completed.GetProperty("supplier_reference").GetString(), StringComparison.Ordinal);

        // A late payment for it is credited to the test balance; a top-up too; then a balance order and one the supplier refuses.
        var late = await PayAsync(test, orderId, """{"amount_ton": 0.25, "late": true}""");
        Assert.Equal("late_payment", late.GetProperty("applied_as").GetString());
        var topup = await (await PostAsync(test, "/api/v1/sandbox/balance/topup", """{"amount_ton": 5}""")).AssertOkAsync();
        Assert.Equal("topup", topup.GetProperty("applied_as").GetString());
        Assert.Equal(5.25m, topup.GetProperty("balance_ton").GetDecimal());
        var fromBalance = (await test.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64();
        Assert.Equal("completed", (await Delivery.DeliverAsync(factory, test, fromBalance)).GetProperty("status").GetString());
        var refused = (await test.CreatedStarsOrderAsync("fail_fiona", method: "balance")).GetProperty("id").GetInt64();
        var failed = await Delivery.DeliverAsync(factory, test, refused);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(failed.GetProperty("price_nanoton").GetString(), failed.GetProperty("refunded_nanoton").GetString());

        // One is expired through the sandbox, with its short payment credited back; a TonRamp one gets links made here.
        var expiring = (await test.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();
        await PayAsync(test, expiring, """{"amount_ton": 0.05}""");
        var expired = await (await PostAsync(test, $"/api/v1/sandbox/orders/{expiring}/expire")).AssertOkAsync();
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        Assert.Equal(0.05m, expired.GetProperty("refunded_ton").GetDecimal());
        await (await PostAsync(test, $"/api/v1/sandbox/orders/{orderId}/expire")).AssertErrorAsync(409, ErrorCodes.InvalidState);
        var tonramp = await test.CreatedStarsOrderAsync(method: "tonramp");
        Assert.StartsWith("ton://transfer/0Q", tonramp.GetProperty("tonramp").GetProperty("deep_link").GetString(), StringComparison.Ordinal);

        // The event log has every step, all test-mode, and each was delivered to the test endpoint, signed with its secret.
        // Compared once the traffic has settled: an event is numbered a moment after it commits (the last order's
        // order.created was once delivered after the log had been read without it).
        await WebhookTraffic.SettledAsync(factory, test.PartnerId);
        var events = await EventsOnceAsync(test, "order.created", "order.paid", "order.completed", "order.failed", "order.expired", "balance.credited", "balance.debited");
        Assert.All(events, e => Assert.False(e.GetProperty("livemode").GetBoolean()));

        var delivered = await receiver.WaitForAsync(_ => true, events.Count, $"{events.Count} test-mode deliveries");
        Assert.Equal(events.Select(e => e.GetProperty("id").GetInt64()).ToHashSet(), delivered.Select(d => d.EventId).ToHashSet());
        Assert.All(delivered, d =>
        {
            Assert.True(WebhookSignature.Verify(d.Signature, d.Body, secret, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
            Assert.False(d.Json.GetProperty("livemode").GetBoolean());
        });
        Assert.Contains(delivered, d => d.Type == "order.paid" && d.Json.GetProperty("data").GetProperty("order").GetProperty("id").GetInt64() == orderId);
        await Db.AssertBalanceMatchesLedgerAsync(factory, test.PartnerId);

        // Nobody outside was asked anything: no processor address or withdrawal, no directory lookup, no supplier delivery, no TonRamp link.
        Assert.Equal(processorWrites, ProcessorWriteCount());
        Assert.Equal(directoryAsked, factory.DirectoryAsked.Count);
        Assert.Equal(0, factory.Supplier.DeliveriesFor(orderId) + factory.Supplier.DeliveriesFor(fromBalance) + factory.Supplier.DeliveriesFor(refused));
        Assert.Null(factory.TonRamp.FindTransaction(tonramp.GetProperty("payment_memo").GetString()!));
        Assert.Null(factory.TonRamp.FindTransaction(memo));

        // The live key sees none of it, and its own books are untouched.
        await (await live.Client.GetAsync($"/api/v1/orders/{orderId}")).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await live.Client.GetAsync($"/api/v1/orders/by-memo/{memo}")).AssertErrorAsync(404, ErrorCodes.NotFound);
        Assert.Equal(0, (await (await live.Client.GetAsync("/api/v1/orders")).AssertOkAsync()).GetProperty("total").GetInt32());
        Assert.Equal(0m, await live.BalanceTonAsync());
        Assert.Equal(0, (await (await live.Client.GetAsync("/api/v1/balance/transactions")).AssertOkAsync()).GetProperty("total").GetInt32());
        Assert.Empty((await (await live.Client.GetAsync("/api/v1/events")).AssertOkAsync()).GetProperty("items").EnumerateArray());
        await (await live.Client.GetAsync("/api/v1/webhook")).AssertErrorAsync(404, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task Live_data_is_invisible_to_the_test_key_and_the_sandbox_refuses_live_keys()
    {
        var (live, test) = await PartnerInBothModesAsync();
        await live.CreditAsync(2m, "live-credit");
        var liveOrder = await live.CreatedStarsOrderAsync(reference: "shared-ref");
        var liveId = liveOrder.GetProperty("id").GetInt64();
        Assert.True(liveOrder.GetProperty("livemode").GetBoolean());
        Assert.StartsWith("UQ", liveOrder.GetProperty("payment_address").GetString(), StringComparison.Ordinal);

        await (await test.Client.GetAsync($"/api/v1/orders/{liveId}")).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await test.CancelAsync(liveId)).AssertErrorAsync(404, ErrorCodes.NotFound);
        Assert.Equal(0, (await (await test.Client.GetAsync("/api/v1/orders/by-reference/shared-ref")).AssertOkAsync()).GetProperty("total").GetInt32());
        Assert.Equal(0m, await test.BalanceTonAsync());
        Assert.Empty((await (await test.Client.GetAsync("/api/v1/events")).AssertOkAsync()).GetProperty("items").EnumerateArray());
        await (await PostAsync(test, $"/api/v1/sandbox/orders/{liveId}/pay")).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await PostAsync(test, $"/api/v1/sandbox/orders/{liveId}/expire")).AssertErrorAsync(404, ErrorCodes.NotFound);

        // A live key may not use the sandbox at all: 403 before its body is even read.
        await (await PostAsync(live, $"/api/v1/sandbox/orders/{liveId}/pay")).AssertErrorAsync(403, ErrorCodes.Forbidden);
        await (await PostAsync(live, $"/api/v1/sandbox/orders/{liveId}/expire")).AssertErrorAsync(403, ErrorCodes.Forbidden);
        await (await PostAsync(live, "/api/v1/sandbox/balance/topup", """{"amount_ton": 1000000}""")).AssertErrorAsync(403, ErrorCodes.Forbidden);
        await (await PostAsync(live, "/api/v1/sandbox/withdrawals/1/confirm")).AssertErrorAsync(403, ErrorCodes.Forbidden);
        Assert.Equal("pending_payment", (await (await live.Client.GetAsync($"/api/v1/orders/{liveId}")).AssertOkAsync()).GetProperty("status").GetString());
        Assert.Equal(2m, await live.BalanceTonAsync());

        // Bad amounts and memos are 422 and change nothing; another partner's test order is not found.
        var testOrder = (await test.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();
        foreach (var body in new[] { """{"amount_ton": 0}""", """{"amount_ton": -1}""", """{"amount_ton": 1000.5}""", """{"amount_ton": 0.0000000001}""", """{}""", """{"amount_ton": 5, "extra": 1}""" })
        {
            await (await PostAsync(test, "/api/v1/sandbox/balance/topup", body)).AssertErrorAsync(422, ErrorCodes.ValidationError);
        }

        await (await PostAsync(test, $"/api/v1/sandbox/orders/{testOrder}/pay", """{"amount_ton": 100001}""")).AssertErrorAsync(422, ErrorCodes.ValidationError);
        await (await PostAsync(test, $"/api/v1/sandbox/orders/{testOrder}/pay", """{"memo": "{{x}}"}""".Replace("{{x}}", new string('a', 129), StringComparison.Ordinal)))
            .AssertErrorAsync(422, ErrorCodes.ValidationError);
        var (_, stranger) = await PartnerInBothModesAsync();
        var strangersOrder = await stranger.CreatedStarsOrderAsync();
        await (await PostAsync(test, $"/api/v1/sandbox/orders/{strangersOrder.GetProperty("id").GetInt64()}/pay")).AssertErrorAsync(404, ErrorCodes.NotFound);
        var otherMemo = strangersOrder.GetProperty("payment_memo").GetString()!.ToLowerInvariant();
        await (await PostAsync(test, $"/api/v1/sandbox/orders/{testOrder}/pay", $$"""{"memo": " {{otherMemo}} "}""")).AssertErrorAsync(422, ErrorCodes.ValidationError);
        Assert.Equal(0m, await test.BalanceTonAsync());
        Assert.Equal("pending_payment", (await (await stranger.Client.GetAsync($"/api/v1/orders/{strangersOrder.GetProperty("id").GetInt64()}")).AssertOkAsync()).GetProperty("status").GetString());
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE order_id = $1", testOrder));

        // A memo as a payer might type it (case, spaces) pays the order; one that matches no test order is kept unmatched.
        var typed = await PayAsync(test, testOrder, $$"""{"memo": "  {{(await (await test.Client.GetAsync($"/api/v1/orders/{testOrder}")).AssertOkAsync()).GetProperty("payment_memo").GetString()!.ToLowerInvariant()}}\n"}""");
        Assert.Equal("order_payment", typed.GetProperty("applied_as").GetString());
        var unmatched = await PayAsync(test, testOrder, """{"memo": "STARS-nothing"}""");
        Assert.Equal("unmatched", unmatched.GetProperty("applied_as").GetString());

        // The two logs share one id counter: one receiver for both modes can dedupe on the id alone.
        var liveIds = (await EventsOnceAsync(live, "order.created", "balance.credited")).Select(e => e.GetProperty("id").GetInt64()).ToList();
        var testIds = (await EventsOnceAsync(test, "order.created", "order.paid")).Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Empty(liveIds.Intersect(testIds));
    }

    public static TheoryData<string, string> HostileUsdtBodies => new()
    {
        { "topup", """{"amount_usdt": 0}""" },
        { "topup", """{"amount_usdt": -1}""" },
        { "topup", """{"amount_usdt": 1000.5}""" },
        { "topup", """{"amount_usdt": 0.0000001}""" },
        { "topup", """{"amount_usdt": 1e30}""" },
        { "topup", """{"amount_usdt": "1"}""" },
        { "topup", """{"amount_usdt": null}""" },
        { "topup", """{"amount_usdt": 1, "amount_ton": 1}""" },
        { "topup", """{"amount_usdt": 1, "currency": "USDT"}""" },
        { "pay", """{"currency": "usdt"}""" },
        { "pay", """{"currency": "USD\u0000T"}""" },
        { "pay", """{"currency": "USDT\r\nX-Injected: 1"}""" },
        { "pay", """{"currency": 7}""" },
        { "pay", """{"currency": ["USDT"]}""" },
        { "pay", "{\"currency\": \"" + new string('U', 5000) + "\"}" },
        { "pay", """{"amount_usdt": 0}""" },
        { "pay", """{"amount_usdt": 100000.000001}""" },
        { "pay", """{"amount_usdt": 0.0000001}""" },
        { "pay", """{"amount_usdt": 1.5, "amount_ton": 0.5}""" },
        { "pay", """{"amount_usdt": "1.5"}""" },
    };

    [Theory]
    [MemberData(nameof(HostileUsdtBodies))]
    public async Task A_hostile_usdt_amount_or_currency_in_the_sandbox_is_4xx_and_moves_nothing(string route, string body)
    {
        var (_, test) = await PartnerInBothModesAsync();
        var order = await (await test.Client.PostAsync("/api/v1/orders/stars", new StringContent(
            """{"recipient_username": "pandus", "quantity": 100, "payment_currency": "USDT"}""", Encoding.UTF8, "application/json"))).AssertOkAsync();
        var orderId = order.GetProperty("id").GetInt64();

        var response = await PostAsync(test, route == "topup" ? "/api/v1/sandbox/balance/topup" : $"/api/v1/sandbox/orders/{orderId}/pay", body);

        Assert.InRange((int)response.StatusCode, 400, 499);
        await response.AssertErrorAsync((int)response.StatusCode, ErrorCodes.ForStatus((int)response.StatusCode));
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE order_id = $1", orderId));
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE partner_id = $1", test.PartnerId));
        Assert.Equal("pending_payment", (await (await test.Client.GetAsync($"/api/v1/orders/{orderId}")).AssertOkAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Real_TON_sent_with_a_test_orders_memo_never_pays_it_and_refunds_skip_simulated_deposits()
    {
        var (_, test) = await PartnerInBothModesAsync();
        var order = await test.CreatedStarsOrderAsync();
        var memo = order.GetProperty("payment_memo").GetString()!;

        // A real transfer to the live orders address with the test order's memo: matched against live orders only.
        var txHash = await factory.DepositAsync(order.GetProperty("price_ton").GetDecimal(), memo);
        await factory.PollAsync();
        Assert.Equal("pending_payment", (await (await test.Client.GetAsync($"/api/v1/orders/{order.GetProperty("id").GetInt64()}")).AssertOkAsync()).GetProperty("status").GetString());
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND kind = 'unmatched' AND livemode", txHash));
        Assert.Equal(0m, await test.BalanceTonAsync());

        // A simulated deposit with no matching memo is unmatched too, but never refunded: the refund rule takes live deposits only.
        var unmatched = await PayAsync(test, order.GetProperty("id").GetInt64(), """{"memo": "no memo here"}""");
        Assert.Equal("unmatched", unmatched.GetProperty("applied_as").GetString());
        await using var scope = factory.Services.CreateAsyncScope();
        var simulatedId = await Db.ScalarAsync(factory, "SELECT id FROM deposits WHERE tx_hash = $1", unmatched.GetProperty("tx_hash").GetString()!);
        Assert.Null(await scope.ServiceProvider.GetRequiredService<TheOpenMoney.Api.MoneyOut.WithdrawalLifecycle>()
            .QueueRefundAsync(simulatedId, "TON", 1, SandboxPaymentsPayer, "refund", afterFailedRefund: true, CancellationToken.None));
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM withdrawals WHERE deposit_id = $1", simulatedId));
    }

    private static string SandboxPaymentsPayer => TheOpenMoney.Api.Sandbox.SandboxPayments.PayerAddress;

    [Fact]
    public async Task A_test_withdrawal_completes_or_fails_in_the_sandbox_and_never_reaches_the_processor()
    {
        var (live, test) = await PartnerInBothModesAsync();
        var processorWrites = ProcessorWriteCount();
        await (await PostAsync(test, "/api/v1/sandbox/balance/topup", """{"amount_ton": 10}""")).AssertOkAsync();
        const string Destination = "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29";

        var asked = await (await PostAsync(test, "/api/v1/balance/withdrawals", $$"""{"amount_ton": 1.5, "destination": "{{Destination}}"}""")).AssertOkAsync();
        Assert.Equal("awaiting_confirmation", asked.GetProperty("status").GetString());
        Assert.Equal(8.49m, await test.BalanceTonAsync());
        var id = asked.GetProperty("id").GetInt64();
        await (await PostAsync(live, $"/api/v1/sandbox/withdrawals/{id}/confirm")).AssertErrorAsync(403, ErrorCodes.Forbidden);
        await (await live.Client.GetAsync($"/api/v1/balance/withdrawals/{id}")).AssertErrorAsync(404, ErrorCodes.NotFound);
        var done = await (await PostAsync(test, $"/api/v1/sandbox/withdrawals/{id}/confirm")).AssertOkAsync();
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.StartsWith("sandbox-", done.GetProperty("tx_hash").GetString(), StringComparison.Ordinal);
        await (await PostAsync(test, $"/api/v1/sandbox/withdrawals/{id}/confirm")).AssertErrorAsync(409, ErrorCodes.InvalidState);

        var failing = await (await PostAsync(test, "/api/v1/balance/withdrawals", $$"""{"amount_ton": 1.13, "destination": "{{Destination}}"}""")).AssertOkAsync();
        Assert.Equal(7.35m, await test.BalanceTonAsync());
        var failed = await (await PostAsync(test, $"/api/v1/sandbox/withdrawals/{failing.GetProperty("id").GetInt64()}/confirm")).AssertOkAsync();
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(8.49m, await test.BalanceTonAsync());

        var events = await EventsOnceAsync(test, "withdrawal.completed", "withdrawal.failed");
        Assert.All(events, e => Assert.False(e.GetProperty("livemode").GetBoolean()));
        Assert.Equal(processorWrites, ProcessorWriteCount());
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM withdrawals WHERE partner_id = $1 AND processor_calls > 0", test.PartnerId));
        await Db.AssertBalanceMatchesLedgerAsync(factory, test.PartnerId);
    }

    [Fact]
    public async Task A_test_usdt_withdrawal_takes_the_test_usdt_balance_and_one_ending_in_13_fails_with_the_hold_back()
    {
        var (_, test) = await PartnerInBothModesAsync();
        var processorWrites = ProcessorWriteCount();
        await (await PostAsync(test, "/api/v1/sandbox/balance/topup", """{"amount_usdt": 10}""")).AssertOkAsync();
        async Task<long> UsdtUnitsAsync() => (await test.BalanceInAsync("USDT")).UnitsOf("amount_units");
        const string Destination = "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29";

        var asked = await (await PostAsync(test, "/api/v1/balance/withdrawals", $$"""{"amount_usdt": 2, "destination": "{{Destination}}"}""")).AssertOkAsync();
        Assert.Equal("USDT", asked.GetProperty("currency").GetString());
        Assert.Equal(7_700_000, await UsdtUnitsAsync());
        var done = await (await PostAsync(test, $"/api/v1/sandbox/withdrawals/{asked.GetProperty("id").GetInt64()}/confirm")).AssertOkAsync();
        Assert.Equal("completed", done.GetProperty("status").GetString());

        var failing = await (await PostAsync(test, "/api/v1/balance/withdrawals", $$"""{"amount_usdt": 1.13, "destination": "{{Destination}}"}""")).AssertOkAsync();
        Assert.Equal(6_270_000, await UsdtUnitsAsync());
        var failed = await (await PostAsync(test, $"/api/v1/sandbox/withdrawals/{failing.GetProperty("id").GetInt64()}/confirm")).AssertOkAsync();
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal("the sandbox failed it: amount_usdt ends in .13", failed.GetProperty("failure_reason").GetString());
        Assert.Equal(7_700_000, await UsdtUnitsAsync());
        Assert.Equal(0m, await test.BalanceTonAsync());
        Assert.Equal(processorWrites, ProcessorWriteCount());
        await Db.AssertBalanceMatchesLedgerAsync(factory, test.PartnerId);
    }

    [Fact]
    public async Task The_database_refuses_a_row_whose_mode_is_not_its_partners_and_a_test_withdrawal_near_the_processor()
    {
        var (live, test) = await PartnerInBothModesAsync();
        var order = (await test.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();
        await (await PostAsync(test, "/api/v1/sandbox/balance/topup", """{"amount_ton": 2}""")).AssertOkAsync();
        var withdrawal = (await (await PostAsync(test, "/api/v1/balance/withdrawals", """{"amount_ton": 0.5, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}"""))
            .AssertOkAsync()).GetProperty("id").GetInt64();

        // A test order claimed by the live partner, a live order of the test twin, a test key on the live partner,
        // a test withdrawal asked of the processor: each is refused by the database itself.
        var refused = new[]
        {
            ("UPDATE orders SET partner_id = $1 WHERE id = $2", new object[] { live.PartnerId, order }),
            ("UPDATE orders SET livemode = true WHERE id = $1", new object[] { order }),
            ("UPDATE api_keys SET partner_id = $1 WHERE partner_id = $2", new object[] { live.PartnerId, test.PartnerId }),
            ("UPDATE withdrawals SET processor_calls = 1 WHERE id = $1", new object[] { withdrawal }),
            ("UPDATE withdrawals SET status = 'pending' WHERE id = $1", new object[] { withdrawal }),
        };
        foreach (var (sql, parameters) in refused)
        {
            var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.ExecuteAsync(factory, sql, parameters));
            Assert.True(error.SqlState is "23503" or "23514" or "23505", $"{sql}: {error.SqlState} {error.MessageText}");
        }
    }

    [Fact]
    public async Task Keys_of_each_mode_are_issued_and_revoked_independently()
    {
        var telegramUserId = TestPartners.NextTelegramUserId();
        var live = await PartnerApi.CreateAsync(factory, telegramUserId);
        var test = await PartnerApi.CreateTestAsync(factory, telegramUserId);
        var secondTest = await PartnerApi.CreateTestAsync(factory, telegramUserId);
        Assert.Equal(test.PartnerId, secondTest.PartnerId);

        // A second test key revokes the first; the live key is untouched.
        await (await test.Client.GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await secondTest.Client.GetAsync("/api/v1/partner")).AssertOkAsync();
        await (await live.Client.GetAsync("/api/v1/partner")).AssertOkAsync();

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var keys = scope.ServiceProvider.GetRequiredService<TheOpenMoney.Api.Partners.PartnerKeyService>();
            Assert.Equal(1, await keys.RevokeAsync(telegramUserId, livemode: false, CancellationToken.None));
        }

        await (await secondTest.Client.GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await live.Client.GetAsync("/api/v1/orders")).AssertOkAsync();
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM partners WHERE telegram_user_id = $1 AND NOT livemode", telegramUserId));
        Assert.Equal(2, await Db.ScalarAsync(factory, "SELECT count(*) FROM api_keys WHERE partner_id = $1 AND prefix LIKE 'osk\\_test\\_%'", test.PartnerId));
    }
}

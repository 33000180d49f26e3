using System.Net.Http.Json;
using ApiTonAddress = TheOpenMoney.Api.Ton.TonAddress;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// End to end over HTTP on 127.0.0.1: orders created through the API, TON "sent" through the
/// processor simulator, found by the real poller. Each case ends with the exact ledger it implies.
/// </summary>
public sealed class PaymentMatchingTests(PaymentsFactory factory) : IClassFixture<PaymentsFactory>
{
    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    private static async Task<JsonElement> OrderAsync(PartnerApi partner, long id) =>
        await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();

    private static async Task<List<JsonElement>> LedgerAsync(PartnerApi partner) =>
        (await (await partner.Client.GetAsync("/api/v1/balance/transactions?limit=100")).AssertOkAsync())
        .GetProperty("items").EnumerateArray().Reverse().ToList();

    [Fact]
    public async Task Orders_share_one_valid_non_bounceable_deposit_address_from_the_processor()
    {
        var partner = await NewPartnerAsync();

        var first = await partner.CreatedStarsOrderAsync();
        var second = await (await partner.CreatePremiumAsync()).AssertOkAsync();

        var address = first.GetProperty("payment_address").GetString()!;
        Assert.Equal(address, second.GetProperty("payment_address").GetString());
        Assert.True(ApiTonAddress.IsValid(address));
        Assert.StartsWith("UQ", address, StringComparison.Ordinal);
        Assert.Equal([address], factory.Processor.GetAddresses("orders").ToArray());
    }

    [Fact]
    public async Task Exact_payment_with_the_memo_marks_the_order_paid_on_the_next_poll()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();

        var tx = await factory.DepositAsync(order.GetProperty("price_ton").GetDecimal(), order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        var paid = await OrderAsync(partner, id);
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        Assert.Equal(0.417m, paid.GetProperty("paid_ton").GetDecimal());
        Assert.Equal(tx, paid.GetProperty("payment_tx_hash").GetString());
        Assert.NotEqual(JsonValueKind.Null, paid.GetProperty("paid_at").ValueKind);
        Assert.Empty(await LedgerAsync(partner));
        Assert.Equal(0m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task Memo_matching_ignores_case_and_surrounding_spaces()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();

        await factory.DepositAsync(0.417m, "  " + order.GetProperty("payment_memo").GetString()!.ToLowerInvariant() + " ");
        await factory.PollAsync();

        Assert.Equal("paid", (await OrderAsync(partner, order.GetProperty("id").GetInt64())).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Overpayment_pays_the_order_and_credits_the_excess()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();

        var tx = await factory.DepositAsync(0.5m, order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        var paid = await OrderAsync(partner, id);
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        Assert.Equal(0.417m, paid.GetProperty("paid_ton").GetDecimal());
        var ledger = Assert.Single(await LedgerAsync(partner));
        Assert.Equal("overpayment", ledger.GetProperty("type").GetString());
        Assert.Equal(0.083m, ledger.GetProperty("amount_ton").GetDecimal());
        Assert.Equal(id, ledger.GetProperty("order_id").GetInt64());
        Assert.Equal(tx, ledger.GetProperty("tx_hash").GetString());
        Assert.Equal(0.083m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task Underpayment_waits_and_a_second_transfer_of_the_difference_pays_the_order()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        var memo = order.GetProperty("payment_memo").GetString();

        await factory.DepositAsync(0.4m, memo);
        await factory.PollAsync();
        var partial = await OrderAsync(partner, id);
        Assert.Equal("pending_payment", partial.GetProperty("status").GetString());
        Assert.Equal(0.4m, partial.GetProperty("paid_ton").GetDecimal());

        var second = await factory.DepositAsync(0.017m, memo);
        await factory.PollAsync();

        var paid = await OrderAsync(partner, id);
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        Assert.Equal(0.417m, paid.GetProperty("paid_ton").GetDecimal());
        Assert.Equal(second, paid.GetProperty("payment_tx_hash").GetString());
        Assert.Empty(await LedgerAsync(partner));
    }

    [Fact]
    public async Task Payment_to_a_cancelled_order_is_credited_as_a_late_payment()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        await (await partner.CancelAsync(id)).AssertOkAsync();

        var tx = await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        var cancelled = await OrderAsync(partner, id);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(0.417m, cancelled.GetProperty("late_paid_ton").GetDecimal());
        var ledger = Assert.Single(await LedgerAsync(partner));
        Assert.Equal("late_payment", ledger.GetProperty("type").GetString());
        Assert.Equal(0.417m, ledger.GetProperty("amount_ton").GetDecimal());
        Assert.Equal(tx, ledger.GetProperty("tx_hash").GetString());
        Assert.Equal(0.417m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task A_second_payment_to_a_paid_order_is_a_late_payment()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var memo = order.GetProperty("payment_memo").GetString();
        await factory.DepositAsync(0.417m, memo);
        await factory.DepositAsync(0.417m, memo);

        await factory.PollAsync();

        var paid = await OrderAsync(partner, order.GetProperty("id").GetInt64());
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        Assert.Equal(0.417m, paid.GetProperty("late_paid_ton").GetDecimal());
        Assert.Equal(["late_payment"], (await LedgerAsync(partner)).Select(e => e.GetProperty("type").GetString()!).ToArray());
        Assert.Equal(0.417m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task Cancelling_a_partly_paid_order_credits_what_was_received()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        await factory.DepositAsync(0.2m, order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        var cancelled = await (await partner.CancelAsync(id)).AssertOkAsync();

        Assert.Equal(0.2m, cancelled.GetProperty("refunded_ton").GetDecimal());
        var ledger = Assert.Single(await LedgerAsync(partner));
        Assert.Equal("underpayment", ledger.GetProperty("type").GetString());
        Assert.Equal(0.2m, ledger.GetProperty("amount_ton").GetDecimal());
        Assert.Equal(0.2m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task Top_up_to_the_partners_own_address_is_credited()
    {
        var partner = await NewPartnerAsync();
        var balance = await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync();
        var address = balance.GetProperty("topup_address").GetString()!;
        Assert.True(ApiTonAddress.IsValid(address));

        var tx = await factory.DepositAsync(3.25m, comment: null, address: address);
        await factory.PollAsync();

        var ledger = Assert.Single(await LedgerAsync(partner));
        Assert.Equal("topup", ledger.GetProperty("type").GetString());
        Assert.Equal(3.25m, ledger.GetProperty("amount_ton").GetDecimal());
        Assert.Equal(tx, ledger.GetProperty("tx_hash").GetString());
        Assert.Equal(3.25m, await partner.BalanceTonAsync());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task Each_partner_gets_its_own_topup_address_once_even_under_concurrency()
    {
        var partner = await NewPartnerAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => partner.Client.GetAsync("/api/v1/balance")));
        var addresses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var answer in answers)
        {
            addresses.Add((await answer.AssertOkAsync()).GetProperty("topup_address").GetString()!);
        }

        var other = await (await (await NewPartnerAsync()).Client.GetAsync("/api/v1/balance")).AssertOkAsync();
        var address = Assert.Single(addresses);
        Assert.NotEqual(address, other.GetProperty("topup_address").GetString());
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposit_addresses WHERE partner_id = $1 AND currency = 'TON'", partner.PartnerId));
        Assert.Single(factory.Processor.GetAddresses("topups"), a => a == address);
    }

    [Fact]
    public async Task Deposit_with_an_unknown_memo_is_kept_as_unmatched_and_credits_nobody()
    {
        var partner = await NewPartnerAsync();
        await partner.CreatedStarsOrderAsync();

        var unknownMemo = await factory.DepositAsync(1m, "STARS-nosuch");
        var noComment = await factory.DepositAsync(0.5m);
        await factory.PollAsync();

        foreach (var (tx, amount) in new[] { (unknownMemo, 1_000_000_000L), (noComment, 500_000_000L) })
        {
            Assert.Equal(amount, await Db.ScalarAsync(factory, "SELECT unmatched_nanoton FROM deposits WHERE tx_hash = $1 AND kind = 'unmatched'", tx));
            Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE tx_hash = $1", tx));
        }

        Assert.Contains(factory.Logs.Lines, l => l.Contains("Unmatched deposit " + unknownMemo, StringComparison.Ordinal));
        Assert.Empty(await LedgerAsync(partner));
    }

    [Fact]
    public async Task The_same_deposit_seen_twice_in_the_history_is_applied_once()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var tx = await factory.DepositAsync(0.5m, order.GetProperty("payment_memo").GetString());
        await factory.DepositAsync(0.5m, order.GetProperty("payment_memo").GetString(), txHash: tx, duplicate: true);

        await factory.PollAsync();
        await factory.PollAsync();

        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1", tx));
        var ledger = Assert.Single(await LedgerAsync(partner));
        Assert.Equal(0.083m, ledger.GetProperty("amount_ton").GetDecimal());
    }

    [Fact]
    public async Task Webhook_and_poller_seeing_the_same_deposit_apply_it_once()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        await factory.EnableWebhookAsync();
        try
        {
            var tx = await factory.DepositAsync(0.6m, order.GetProperty("payment_memo").GetString());
            await Eventually.WaitAsync(
                () => Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND applied_at IS NOT NULL AND received_via = 'webhook'", tx),
                n => n == 1,
                "the webhook push");
            Assert.Equal("paid", (await OrderAsync(partner, id)).GetProperty("status").GetString());

            await factory.PollAsync();

            var ledger = Assert.Single(await LedgerAsync(partner));
            Assert.Equal(0.183m, ledger.GetProperty("amount_ton").GetDecimal());
            Assert.Equal(0.183m, await partner.BalanceTonAsync());
            Assert.True(factory.Processor.WebhookEnabled);
        }
        finally
        {
            (await factory.Sim.PostAsJsonAsync("/_sim/webhook", new { endpoint = (string?)null })).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task Webhook_with_a_wrong_token_is_401_and_stores_nothing()
    {
        var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/internal/processor/webhook")
        {
            Content = JsonContent.Create(new { deposit_address = "x", time = 1, amount = "1", user_id = "orders", tx_hash = "forged" }),
        };
        request.Headers.Add("Authorization", "Bearer wrong");

        await (await client.SendAsync(request)).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = 'forged'"));
    }

    [Fact]
    public async Task Processor_failures_are_retried_and_lose_nothing()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());

        await factory.FailNextAsync(2);
        await factory.PollAsync();

        Assert.Equal("paid", (await OrderAsync(partner, order.GetProperty("id").GetInt64())).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_reports_the_processor_and_the_poller()
    {
        await factory.PollAsync();

        // The probe gives the processor 750 ms: on a loaded machine (the whole suite at once) one probe can miss that and
        // say degraded for that moment. Healthy is what a probe soon says, not necessarily the first.
        var processor = await Eventually.WaitAsync(
            async () => (await (await factory.CreateClient().GetAsync("/api/v1/health")).AssertOkAsync()).GetProperty("components").GetProperty("payment_processor"),
            p => p.GetProperty("status").GetString() == "ok",
            "the processor component ok",
            15);

        Assert.Equal("ok", processor.GetProperty("status").GetString());
        Assert.True(processor.GetProperty("reachable").GetBoolean());
        Assert.True(processor.GetProperty("is_synced").GetBoolean());
        Assert.True(processor.GetProperty("poller").GetProperty("leader").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, processor.GetProperty("poller").GetProperty("last_success_at").ValueKind);
    }

    [Fact]
    public async Task Applied_deposits_are_counted_in_the_payments_meter()
    {
        var measurements = new List<(string Instrument, long Value, string? Kind)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TheOpenMoney.Api.Payments.PaymentMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? kind = null;
            foreach (var tag in tags)
            {
                kind = tag.Key == "kind" ? tag.Value as string : kind;
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, kind));
            }
        });
        listener.Start();
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();

        await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        lock (measurements)
        {
            Assert.Contains(measurements, m => m.Instrument == "tom.deposits.applied" && m.Kind == "order_payment" && m.Value == 1);
            Assert.Contains(measurements, m => m.Instrument == "tom.deposits.applied_nanoton" && m.Kind == "order_payment" && m.Value == 417_000_000);
        }
    }
}

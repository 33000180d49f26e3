namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// Orders with a 2-second TTL, expired only once the processor has provably scanned past expires_at. The API
/// and the processor share a manual clock: the tests move it past expiry instead of waiting for it.
/// </summary>
public sealed class ExpiryTests(ExpiryTests.Factory factory) : IClassFixture<ExpiryTests.Factory>
{
    public sealed class Factory : PaymentsFactory
    {
        public Factory() => Clock = new ManualTimeProvider(DateTimeOffset.UtcNow);

        protected override string OrderTtl => "00:00:02";
    }

    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    private static async Task<JsonElement> OrderAsync(PartnerApi partner, long id) =>
        await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();

    /// <summary>Moves the clock of the API and the processor <paramref name="extraSeconds"/> past the order's expiry.</summary>
    private void MovePast(JsonElement order, int extraSeconds = 1)
    {
        var expires = DateTimeOffset.Parse(order.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var move = expires.AddSeconds(extraSeconds) - factory.Clock!.GetUtcNow();
        if (move > TimeSpan.Zero)
        {
            factory.Clock.Advance(move);
        }
    }

    [Fact]
    public async Task Unpaid_order_expires_after_the_processor_scanned_past_expires_at()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();

        await factory.PollAsync();
        Assert.Equal("pending_payment", (await OrderAsync(partner, id)).GetProperty("status").GetString());
        MovePast(order);
        await factory.PollAsync();

        var expired = await OrderAsync(partner, id);
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, expired.GetProperty("expired_at").ValueKind);
        Assert.Equal(0m, expired.GetProperty("refunded_ton").GetDecimal());
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE partner_id = $1", partner.PartnerId));
    }

    [Fact]
    public async Task Short_payment_is_credited_back_when_the_order_expires()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        await factory.DepositAsync(0.3m, order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        MovePast(order);
        await factory.PollAsync();

        var expired = await OrderAsync(partner, id);
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        Assert.Equal(0.3m, expired.GetProperty("refunded_ton").GetDecimal());
        var ledger = await (await partner.Client.GetAsync("/api/v1/balance/transactions")).AssertOkAsync();
        var row = Assert.Single(ledger.GetProperty("items").EnumerateArray());
        Assert.Equal("underpayment", row.GetProperty("type").GetString());
        Assert.Equal(0.3m, row.GetProperty("amount_ton").GetDecimal());
        Assert.Equal(id, row.GetProperty("order_id").GetInt64());
        Assert.Equal(0.3m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task Payment_dated_after_expiry_is_a_late_payment_to_the_balance()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        MovePast(order);
        await factory.PollAsync();
        Assert.Equal("expired", (await OrderAsync(partner, id)).GetProperty("status").GetString());

        await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        var expired = await OrderAsync(partner, id);
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        Assert.Equal(0.417m, expired.GetProperty("late_paid_ton").GetDecimal());
        Assert.Equal(0.417m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task Order_is_never_expired_while_the_processor_lags_and_a_payment_dated_before_expiry_still_pays_it()
    {
        var partner = await NewPartnerAsync();
        await factory.SetLagAsync(120);
        try
        {
            var order = await partner.CreatedStarsOrderAsync();
            var id = order.GetProperty("id").GetInt64();
            var sentAt = factory.Clock!.GetUtcNow().ToUnixTimeSeconds();
            await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString(), time: sentAt);

            MovePast(order, extraSeconds: 2);
            await factory.PollAsync();
            await factory.PollAsync();
            Assert.Equal("pending_payment", (await OrderAsync(partner, id)).GetProperty("status").GetString());
            var health = await (await factory.CreateClient().GetAsync("/api/v1/health")).AssertOkAsync();
            Assert.Equal("degraded", health.GetProperty("status").GetString());
            Assert.False(health.GetProperty("components").GetProperty("payment_processor").GetProperty("is_synced").GetBoolean());

            await factory.SetLagAsync(0);
            await factory.PollAsync();

            var paid = await OrderAsync(partner, id);
            Assert.Equal("paid", paid.GetProperty("status").GetString());
            Assert.Equal(0m, paid.GetProperty("late_paid_ton").GetDecimal());
            Assert.Equal(0m, await partner.BalanceTonAsync());
        }
        finally
        {
            await factory.SetLagAsync(0);
        }
    }
}

/// <summary>The hosted poller on a short interval, with no test driving it.</summary>
public sealed class HostedPollerTests(HostedPollerTests.Factory factory) : IClassFixture<HostedPollerTests.Factory>
{
    public sealed class Factory : PaymentsFactory
    {
        protected override string PollInterval => "00:00:00.200";
    }

    [Fact]
    public async Task The_background_poller_pays_an_order_by_itself()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();

        await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());

        await Eventually.WaitAsync(
            async () => (await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync()).GetProperty("status").GetString(),
            status => status == "paid",
            "the hosted poller to mark the order paid");
    }

    [Fact]
    public async Task Processor_unreachable_makes_health_degraded_not_down()
    {
        await factory.FailNextAsync(20);

        var health = await (await factory.CreateClient().GetAsync("/api/v1/health")).AssertOkAsync();

        Assert.Equal("degraded", health.GetProperty("status").GetString());
        Assert.Equal("ok", health.GetProperty("components").GetProperty("database").GetProperty("status").GetString());
        await factory.Sim.PostAsync("/_sim/reset", null);
    }
}

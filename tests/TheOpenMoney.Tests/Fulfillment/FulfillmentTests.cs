using System.Collections.Concurrent;
using TheOpenMoney.Api.Fulfillment;

namespace TheOpenMoney.Tests.Fulfillment;

/// <summary>
/// The supplier the worker talks to in these tests: the deterministic simulated supplier, wrapped
/// to count every delivery call per order and to fail transiently on demand.
/// </summary>
public sealed class CountingSupplier : ISupplier
{
    private readonly SimulatedSupplier _inner = new();

    public ConcurrentDictionary<long, int> DeliverCalls { get; } = new();

    /// <summary>Orders whose next N delivery calls fail transiently.</summary>
    public ConcurrentDictionary<long, int> FailTransiently { get; } = new();

    public async Task<DeliveryResult> DeliverAsync(DeliveryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        DeliverCalls.AddOrUpdate(request.OrderId, 1, (_, n) => n + 1);
        await Task.Delay(5, cancellationToken);
        if (FailTransiently.TryGetValue(request.OrderId, out var left) && left > 0)
        {
            FailTransiently[request.OrderId] = left - 1;
            return DeliveryResult.Transient("supplier unavailable (test)");
        }

        return await _inner.DeliverAsync(request, cancellationToken);
    }

    public Task<DeliveryResult?> LookupAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        _inner.LookupAsync(idempotencyKey, cancellationToken);
}

public sealed class FulfillmentTests(FulfillmentTests.Factory factory) : IClassFixture<FulfillmentTests.Factory>
{
    public sealed class Factory : PaymentsFactory
    {
        public CountingSupplier Supplier { get; } = new();

        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Fulfillment:RetryBaseDelay"] = "00:00:00.050";
            settings["Fulfillment:RetryMaxDelay"] = "00:00:00.200";
            settings["Fulfillment:MaxAttempts"] = "4";
        }

        protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<ISupplier>(Supplier);
    }

    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    private static async Task<JsonElement> OrderAsync(PartnerApi partner, long id) =>
        await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();

    [Fact]
    public async Task Ton_memo_order_goes_from_creation_to_completed()
    {
        var partner = await NewPartnerAsync();
        var created = await partner.CreatedStarsOrderAsync();
        var id = created.GetProperty("id").GetInt64();
        await factory.DepositAsync(0.417m, created.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        var completed = await Delivery.DeliverAsync(factory, partner, id);

        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal($"SIM-{id}", completed.GetProperty("supplier_reference").GetString());
        Assert.NotEqual(JsonValueKind.Null, completed.GetProperty("completed_at").ValueKind);
        Assert.Equal(1, factory.Supplier.DeliverCalls[id]);
        var stats = await (await partner.Client.GetAsync("/api/v1/orders/stats/summary")).AssertOkAsync();
        Assert.Equal(100, stats.GetProperty("stars_delivered").GetInt64());
        Assert.Equal(1, stats.GetProperty("by_status").GetProperty("completed").GetInt64());
    }

    [Fact]
    public async Task Balance_order_goes_from_creation_to_completed()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(5m, "fulfil");
        var id = (await (await partner.CreatePremiumAsync(months: 6, method: "balance")).AssertOkAsync()).GetProperty("id").GetInt64();

        var completed = await Delivery.DeliverAsync(factory, partner, id);

        Assert.Equal("completed", completed.GetProperty("status").GetString());
        var stats = await (await partner.Client.GetAsync("/api/v1/orders/stats/summary")).AssertOkAsync();
        Assert.Equal(6, stats.GetProperty("premium_months_delivered").GetInt64());
        Assert.Equal(1, stats.GetProperty("by_payment_method").GetProperty("balance").GetInt64());
    }

    [Fact]
    public async Task A_recipient_the_supplier_refuses_ends_failed_with_the_price_refunded()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(1m, "refuse");
        var id = (await partner.CreatedStarsOrderAsync("failing_fred", method: "balance")).GetProperty("id").GetInt64();

        var failed = await Delivery.DeliverAsync(factory, partner, id);

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("refused", failed.GetProperty("failure_reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(0.417m, failed.GetProperty("refunded_ton").GetDecimal());
        Assert.Equal(1m, await partner.BalanceTonAsync());
        var refund = (await (await partner.Client.GetAsync("/api/v1/balance/transactions?type=refund")).AssertOkAsync()).GetProperty("items")[0];
        Assert.Equal(0.417m, refund.GetProperty("amount_ton").GetDecimal());
        Assert.Equal(id, refund.GetProperty("order_id").GetInt64());
        Assert.Equal(1, factory.Supplier.DeliverCalls[id]);
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task A_ton_memo_order_that_fails_is_refunded_to_the_balance()
    {
        var partner = await NewPartnerAsync();
        var created = await partner.CreatedStarsOrderAsync("fail_on_purpose");
        await factory.DepositAsync(0.417m, created.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        var failed = await Delivery.DeliverAsync(factory, partner, created.GetProperty("id").GetInt64());

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(0.417m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task A_transient_supplier_outage_is_retried_to_completion()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(1m, "outage");
        var id = (await partner.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64();
        factory.Supplier.FailTransiently[id] = 2;

        var completed = await Delivery.DeliverAsync(factory, partner, id);

        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal(3, factory.Supplier.DeliverCalls[id]);
        Assert.Equal(3, await Db.ScalarAsync(factory, "SELECT delivery_attempts FROM orders WHERE id = $1", id));
        Assert.Equal(1m - 0.417m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task An_outage_longer_than_the_attempts_fails_the_order_and_refunds_it()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(1m, "long-outage");
        var id = (await partner.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64();
        factory.Supplier.FailTransiently[id] = 100;

        var failed = await Delivery.DeliverAsync(factory, partner, id);

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("after 4 attempts", failed.GetProperty("failure_reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, factory.Supplier.DeliverCalls[id]);
        Assert.Equal(1m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task Two_workers_never_deliver_one_order_twice()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(30m, "two-workers");
        var ids = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add((await partner.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64());
        }

        var workers = Enumerable.Range(0, 2).Select(_ => ActivatorUtilities.CreateInstance<FulfillmentWorker>(factory.Services)).ToList();
        await Task.WhenAll(workers.Select(worker => Task.Run(async () =>
        {
            var idle = 0;
            while (idle < 3)
            {
                idle = await worker.DeliverDueAsync(CancellationToken.None) == 0 ? idle + 1 : 0;
            }
        })));

        foreach (var id in ids)
        {
            Assert.Equal(1, factory.Supplier.DeliverCalls[id]);
        }

        Assert.Equal(40, await Db.ScalarAsync(factory, "SELECT count(*) FROM orders WHERE partner_id = $1 AND status = 'completed'", partner.PartnerId));
    }

    [Fact]
    public async Task An_order_whose_worker_died_mid_delivery_is_recovered_without_a_second_delivery()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(1m, "recover");
        var id = (await partner.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64();
        // A worker claimed it and the supplier delivered, but the worker died before recording it.
        await factory.Supplier.DeliverAsync(new DeliveryRequest(id, $"order-{id}", TheOpenMoney.Api.Pricing.OrderType.Stars, "pandus", 100, null), CancellationToken.None);
        await Db.ScalarAsync(factory, "UPDATE orders SET status = 'processing', delivery_attempts = 1, delivery_lease_until = now() - interval '1 second' WHERE id = $1 RETURNING 1", id);

        var completed = await Delivery.DeliverAsync(factory, partner, id);

        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal($"SIM-{id}", completed.GetProperty("supplier_reference").GetString());
        Assert.Equal(1, factory.Supplier.DeliverCalls[id]);
    }

    [Fact]
    public async Task Health_reports_the_supplier_and_tonramp()
    {
        var health = await HealthReports.CompletedAsync(factory);

        var components = health.GetProperty("components");
        Assert.Equal("Simulated", components.GetProperty("supplier").GetProperty("mode").GetString());
        Assert.True(components.GetProperty("supplier").TryGetProperty("waiting", out _));
        Assert.False(components.GetProperty("tonramp").GetProperty("configured").GetBoolean());
    }
}

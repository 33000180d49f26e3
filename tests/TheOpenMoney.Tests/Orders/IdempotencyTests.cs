using TheOpenMoney.Api.Infrastructure.Idempotency;

namespace TheOpenMoney.Tests.Orders;

public sealed class IdempotencyTests(IdempotencyTests.Factory factory) : IClassFixture<IdempotencyTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        public Factory() => Clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
    }

    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    [Fact]
    public async Task Retry_with_same_key_returns_the_same_order_byte_for_byte()
    {
        var partner = await NewPartnerAsync();
        var key = Guid.NewGuid().ToString();

        var first = await partner.CreateStarsAsync(reference: "inv-1", idempotencyKey: key);
        var second = await partner.CreateStarsAsync(reference: "inv-1", idempotencyKey: key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(first.Headers.Contains(IdempotencyHeaders.Replayed));
        Assert.Equal("true", second.Headers.GetValues(IdempotencyHeaders.Replayed).Single());
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, await Db.OrderCountAsync(factory, partner.PartnerId));
    }

    [Fact]
    public async Task Replay_shows_the_response_as_it_was_even_after_the_order_changed()
    {
        var partner = await NewPartnerAsync();
        var key = Guid.NewGuid().ToString();
        var first = await (await partner.CreateStarsAsync(idempotencyKey: key)).Content.ReadAsStringAsync();
        var id = System.Text.Json.JsonDocument.Parse(first).RootElement.GetProperty("data").GetProperty("id").GetInt64();
        await (await partner.CancelAsync(id)).AssertOkAsync();

        var replay = await partner.CreateStarsAsync(idempotencyKey: key);

        Assert.Equal(first, await replay.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Same_key_with_another_body_or_path_is_422_key_reused()
    {
        var partner = await NewPartnerAsync();
        var key = Guid.NewGuid().ToString();
        await (await partner.CreateStarsAsync(quantity: 100, idempotencyKey: key)).AssertOkAsync();

        await (await partner.CreateStarsAsync(quantity: 200, idempotencyKey: key)).AssertErrorAsync(422, ErrorCodes.IdempotencyKeyReused);
        await (await partner.CreatePremiumAsync(idempotencyKey: key)).AssertErrorAsync(422, ErrorCodes.IdempotencyKeyReused);
        Assert.Equal(1, await Db.OrderCountAsync(factory, partner.PartnerId));
    }

    [Fact]
    public async Task A_failed_request_is_not_stored_so_its_key_can_be_retried()
    {
        var partner = await NewPartnerAsync();
        var key = Guid.NewGuid().ToString();

        await (await partner.CreateStarsAsync(method: "balance", idempotencyKey: key)).AssertErrorAsync(409, ErrorCodes.InsufficientBalance);
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM idempotency_records WHERE partner_id = $1", partner.PartnerId));
        await partner.CreditAsync(1m, "retry");

        var retried = await partner.CreateStarsAsync(method: "balance", idempotencyKey: key);

        var order = await retried.AssertOkAsync();
        Assert.False(retried.Headers.Contains(IdempotencyHeaders.Replayed));
        Assert.Equal("paid", order.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Keys_are_scoped_per_partner()
    {
        var first = await NewPartnerAsync();
        var second = await NewPartnerAsync();
        var key = Guid.NewGuid().ToString();

        var a = await (await first.CreateStarsAsync(idempotencyKey: key)).AssertOkAsync();
        var b = await (await second.CreateStarsAsync(idempotencyKey: key)).AssertOkAsync();

        Assert.NotEqual(a.GetProperty("id").GetInt64(), b.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Twenty_concurrent_requests_with_one_key_create_exactly_one_order()
    {
        var partner = await NewPartnerAsync();
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => partner.CreateStarsAsync(idempotencyKey: key)));

        Assert.Equal(1, await Db.OrderCountAsync(factory, partner.PartnerId));
        var bodies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var response in responses)
        {
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                await response.AssertErrorAsync(409, ErrorCodes.IdempotencyInProgress);
                continue;
            }

            await response.AssertOkAsync();
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Single(bodies);
        Assert.Single(responses, r => !r.Headers.Contains(IdempotencyHeaders.Replayed) && r.StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Twenty_concurrent_balance_orders_with_one_key_debit_once()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(0.5m, "one-debit");
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => partner.CreateStarsAsync(method: "balance", idempotencyKey: key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, await Db.OrderCountAsync(factory, partner.PartnerId));
        Assert.Equal(0.5m - 0.417m, await partner.BalanceTonAsync());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task Malformed_key_is_422()
    {
        var partner = await NewPartnerAsync();

        await (await partner.CreateStarsAsync(idempotencyKey: "has space")).AssertErrorAsync(422, ErrorCodes.ValidationError);
        await (await partner.CreateStarsAsync(idempotencyKey: new string('k', 256))).AssertErrorAsync(422, ErrorCodes.ValidationError);
        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
    }

    [Fact]
    public async Task Cancel_with_a_key_replays_its_first_answer()
    {
        var partner = await NewPartnerAsync();
        var id = (await partner.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();
        var key = Guid.NewGuid().ToString();

        var first = await partner.CancelAsync(id, key);
        var second = await partner.CancelAsync(id, key);

        await first.AssertOkAsync();
        Assert.Equal("true", second.Headers.GetValues(IdempotencyHeaders.Replayed).Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        await (await partner.CancelAsync(id + 1_000_000, key)).AssertErrorAsync(422, ErrorCodes.IdempotencyKeyReused);
    }

    [Fact]
    public async Task Records_are_replayed_for_24_hours_and_swept_afterwards()
    {
        var partner = await NewPartnerAsync();
        var key = Guid.NewGuid().ToString();
        var first = await (await partner.CreateStarsAsync(idempotencyKey: key)).AssertOkAsync();

        factory.Clock!.Advance(TimeSpan.FromHours(23));
        var replay = await partner.CreateStarsAsync(idempotencyKey: key);
        Assert.Equal("true", replay.Headers.GetValues(IdempotencyHeaders.Replayed).Single());

        factory.Clock.Advance(TimeSpan.FromHours(2));
        var swept = await ActivatorUtilities.CreateInstance<IdempotencySweeper>(factory.Services).SweepOnceAsync(CancellationToken.None);
        Assert.True(swept >= 1);
        var fresh = await (await partner.CreateStarsAsync(idempotencyKey: key)).AssertOkAsync();
        Assert.NotEqual(first.GetProperty("id").GetInt64(), fresh.GetProperty("id").GetInt64());
    }
}

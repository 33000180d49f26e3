using Npgsql;

namespace TheOpenMoney.Tests.Orders;

/// <summary>Every keyed route refuses a missing key, and order creation refuses other content types.</summary>
public sealed class RouteGuardTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("POST", "/api/v1/orders/stars")]
    [InlineData("POST", "/api/v1/orders/premium")]
    [InlineData("GET", "/api/v1/orders/10001")]
    [InlineData("GET", "/api/v1/orders")]
    [InlineData("GET", "/api/v1/orders/by-memo/STARS-a1b2c3")]
    [InlineData("GET", "/api/v1/orders/by-reference/invoice-42")]
    [InlineData("GET", "/api/v1/orders/stats/summary")]
    [InlineData("POST", "/api/v1/orders/10001/cancel")]
    [InlineData("GET", "/api/v1/pricing/ton-rate")]
    [InlineData("GET", "/api/v1/pricing/fee")]
    [InlineData("GET", "/api/v1/pricing/estimate/stars?quantity=100")]
    [InlineData("GET", "/api/v1/pricing/estimate/premium?months=3")]
    [InlineData("GET", "/api/v1/recipients/stars?username=pandus")]
    [InlineData("GET", "/api/v1/recipients/premium?username=pandus")]
    [InlineData("GET", "/api/v1/balance")]
    [InlineData("GET", "/api/v1/balance/transactions")]
    public async Task Keyed_route_without_a_key_is_401(string method, string url)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "POST")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        await (await factory.CreateClient().SendAsync(request)).AssertErrorAsync(401, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task Order_creation_with_a_form_body_is_415_and_creates_nothing()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["recipient_username"] = "pandus", ["quantity"] = "100" });

        await (await partner.Client.PostAsync("/api/v1/orders/stars", content)).AssertErrorAsync(415, ErrorCodes.UnsupportedMediaType);
        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
    }

    [Fact]
    public async Task Oversized_order_body_is_rejected_with_an_envelope()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var body = $$"""{"recipient_username": "pandus", "quantity": 100, "client_reference": "{{new string('x', 20_000)}}"}""";

        var response = await partner.PostJsonAsync("/api/v1/orders/stars", body);

        Assert.InRange((int)response.StatusCode, 400, 499);
        await response.AssertErrorAsync((int)response.StatusCode, ErrorCodes.ForStatus((int)response.StatusCode));
        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
    }
}

public sealed class OrderCreationRateLimitTests(OrderCreationRateLimitTests.Factory factory) : IClassFixture<OrderCreationRateLimitTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        protected override void Configure(IDictionary<string, string?> settings) => settings["RateLimiting:OrderCreationPerKeyPerMinute"] = "2";
    }

    [Fact]
    public async Task Third_order_in_a_minute_is_429_and_reads_still_work()
    {
        var partner = await PartnerApi.CreateAsync(factory);

        await (await partner.CreateStarsAsync()).AssertOkAsync();
        await (await partner.CreatePremiumAsync()).AssertOkAsync();
        var limited = await partner.CreateStarsAsync();

        await limited.AssertErrorAsync(429, ErrorCodes.RateLimited);
        Assert.True(limited.Headers.Contains("Retry-After"));
        Assert.Equal(2, await Db.OrderCountAsync(factory, partner.PartnerId));
        await (await partner.Client.GetAsync("/api/v1/orders")).AssertOkAsync();
    }
}

public sealed class IdempotencyInProgressTests(IdempotencyInProgressTests.Factory factory) : IClassFixture<IdempotencyInProgressTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        protected override void Configure(IDictionary<string, string?> settings) => settings["Idempotency:WaitForConcurrent"] = "00:00:00.300";
    }

    [Fact]
    public async Task A_duplicate_that_waits_too_long_for_the_first_request_gets_409_in_progress()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        const string key = "held-by-another-request";
        // Another request's transaction holds the key's slot and has not committed.
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand(
            """
            INSERT INTO idempotency_records (partner_id, idempotency_key, request_method, request_path, request_hash, response_status, response_body, created_at, expires_at)
            VALUES ($1, $2, 'POST', '/api/v1/orders/stars', '\x00'::bytea, 200, '\x'::bytea, now(), now() + interval '1 day')
            """,
            connection,
            transaction))
        {
            hold.Parameters.Add(new NpgsqlParameter { Value = partner.PartnerId });
            hold.Parameters.Add(new NpgsqlParameter { Value = key });
            await hold.ExecuteNonQueryAsync();
        }

        var response = await partner.CreateStarsAsync(idempotencyKey: key);

        await response.AssertErrorAsync(409, ErrorCodes.IdempotencyInProgress);
        Assert.True(response.Headers.Contains("Retry-After"));
        await transaction.RollbackAsync();
        await (await partner.CreateStarsAsync(idempotencyKey: key)).AssertOkAsync();
        Assert.Equal(1, await Db.OrderCountAsync(factory, partner.PartnerId));
    }
}

using System.Globalization;

namespace TheOpenMoney.Tests.Orders;

public sealed class OrdersTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    [Fact]
    public async Task Stars_order_from_the_seed_example_has_the_seed_fields()
    {
        var partner = await NewPartnerAsync();
        const string seedBody = """
            {"recipient_username": "@pandus", "quantity": 100, "payment_method": "ton_memo", "payment_currency": "TON", "client_reference": "invoice-42"}
            """;

        var order = await (await partner.PostJsonAsync("/api/v1/orders/stars", seedBody)).AssertOkAsync();

        Assert.True(order.GetProperty("id").GetInt64() > 0);
        Assert.Equal("pending_payment", order.GetProperty("status").GetString());
        Assert.Equal("stars", order.GetProperty("order_type").GetString());
        Assert.Equal(100, order.GetProperty("stars_amount").GetInt32());
        Assert.Equal("pandus", order.GetProperty("recipient_username").GetString());
        Assert.Equal(0.417m, order.GetProperty("price_ton").GetDecimal()); // 1.5 USD / 3.6, rounded up to 0.001
        Assert.Equal(1.5m, order.GetProperty("price_usd").GetDecimal());
        Assert.Equal(3.6m, order.GetProperty("ton_usd_rate").GetDecimal());
        Assert.Equal(ApiFactory.OrdersAddress, order.GetProperty("payment_address").GetString());
        Assert.Matches("^STARS-[a-z0-9]{6}$", order.GetProperty("payment_memo").GetString());
        Assert.Equal("invoice-42", order.GetProperty("client_reference").GetString());
        Assert.Equal("ELIGIBLE", order.GetProperty("recipient_check").GetString());
        var created = Instant(order, "created_at");
        Assert.Equal(created.AddMinutes(15), Instant(order, "expires_at"));
        Assert.EndsWith("Z", order.GetProperty("created_at").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, order.GetProperty("paid_at").ValueKind);
    }

    [Fact]
    public async Task Premium_order_is_priced_from_its_plan()
    {
        var partner = await NewPartnerAsync();

        var order = await (await partner.CreatePremiumAsync(months: 12)).AssertOkAsync();

        Assert.Equal("premium", order.GetProperty("order_type").GetString());
        Assert.Equal(12, order.GetProperty("premium_months").GetInt32());
        Assert.Equal(JsonValueKind.Null, order.GetProperty("stars_amount").ValueKind);
        Assert.Equal(28.99m, order.GetProperty("price_usd").GetDecimal());
        Assert.Equal(8.053m, order.GetProperty("price_ton").GetDecimal()); // 28.99 / 3.6 = 8.05277… → 8.053
        Assert.Matches("^PREMIUM-[a-z0-9]{6}$", order.GetProperty("payment_memo").GetString());
    }

    [Theory]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": 49}""", "quantity must be between 50 and 10000")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": 10001}""", "quantity must be between 50 and 10000")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus"}""", "quantity is required")]
    [InlineData("/api/v1/orders/stars", """{"quantity": 100}""", "recipient_username is required")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "ab", "quantity": 100}""", "recipient_username must be a Telegram username")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "1abcdef", "quantity": 100}""", "recipient_username must be a Telegram username")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": 100, "payment_method": "card"}""", "payment_method must be one of ton_memo, balance, tonramp")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": 100, "payment_currency": "USD"}""", "payment_currency must be TON")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": 100, "coupon": "X"}""", "unknown field 'coupon'")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": "100"}""", "quantity has an invalid value or type")]
    [InlineData("/api/v1/orders/premium", """{"recipient_username": "pandus", "months": 4}""", "months must be 3, 6 or 12")]
    [InlineData("/api/v1/orders/premium", """{"recipient_username": "pandus", "quantity": 100}""", "unknown field 'quantity'")]
    public async Task Invalid_order_is_422_with_a_clear_message_and_creates_nothing(string path, string body, string message)
    {
        var partner = await NewPartnerAsync();

        var error = await (await partner.PostJsonAsync(path, body)).AssertErrorAsync(422, ErrorCodes.ValidationError);

        Assert.Contains(message, error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
    }

    [Fact]
    public async Task Client_reference_longer_than_128_is_rejected()
    {
        var partner = await NewPartnerAsync();

        var error = await (await partner.CreateStarsAsync(reference: new string('r', 129))).AssertErrorAsync(422, ErrorCodes.ValidationError);

        Assert.Contains("client_reference", error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stars", "nobody_home", "NOT_FOUND")]
    [InlineData("stars", "weather_bot", "NOT_A_USER")]
    [InlineData("premium", "premium_pam", "ALREADY_PREMIUM")]
    public async Task Recipient_who_cannot_receive_is_422_and_no_order(string type, string username, string reason)
    {
        var partner = await NewPartnerAsync();

        var response = type == "stars" ? await partner.CreateStarsAsync(username) : await partner.CreatePremiumAsync(username);

        var error = await response.AssertErrorAsync(422, ErrorCodes.RecipientNotEligible);
        Assert.Contains(reason, error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
    }

    [Fact]
    public async Task A_premium_user_can_still_receive_stars()
    {
        var partner = await NewPartnerAsync();

        await (await partner.CreateStarsAsync("premium_pam")).AssertOkAsync();
    }

    [Fact]
    public async Task Tonramp_without_configuration_is_503_and_leaves_no_order()
    {
        var partner = await NewPartnerAsync();

        await (await partner.CreateStarsAsync(method: "tonramp")).AssertErrorAsync(503, ErrorCodes.PaymentProviderUnavailable);
        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
    }

    [Fact]
    public async Task Order_is_found_by_id_and_by_memo_ignoring_case_and_spaces()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        var memo = order.GetProperty("payment_memo").GetString()!;

        var byId = await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();
        var byMemo = await (await partner.Client.GetAsync($"/api/v1/orders/by-memo/{Uri.EscapeDataString(" " + memo.ToLowerInvariant() + " ")}")).AssertOkAsync();

        Assert.Equal(order.GetRawText(), byId.GetRawText());
        Assert.Equal(id, byMemo.GetProperty("id").GetInt64());
        await (await partner.Client.GetAsync("/api/v1/orders/999999999")).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await partner.Client.GetAsync("/api/v1/orders/by-memo/STARS-zzzzzz")).AssertErrorAsync(404, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task Another_partners_order_is_404_on_every_order_route()
    {
        var owner = await NewPartnerAsync();
        var stranger = await NewPartnerAsync();
        var order = await owner.CreatedStarsOrderAsync(reference: "shared-ref");
        var id = order.GetProperty("id").GetInt64();
        var memo = order.GetProperty("payment_memo").GetString();

        await (await stranger.Client.GetAsync($"/api/v1/orders/{id}")).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await stranger.Client.GetAsync($"/api/v1/orders/by-memo/{memo}")).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await stranger.CancelAsync(id)).AssertErrorAsync(404, ErrorCodes.NotFound);
        var list = await (await stranger.Client.GetAsync("/api/v1/orders")).AssertOkAsync();
        Assert.Equal(0, list.GetProperty("total").GetInt32());
        var byReference = await (await stranger.Client.GetAsync("/api/v1/orders/by-reference/shared-ref")).AssertOkAsync();
        Assert.Equal(0, byReference.GetProperty("total").GetInt32());
        var stats = await (await stranger.Client.GetAsync("/api/v1/orders/stats/summary")).AssertOkAsync();
        Assert.Equal(0, stats.GetProperty("total_orders").GetInt64());
        var still = await (await owner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();
        Assert.Equal("pending_payment", still.GetProperty("status").GetString());
    }

    [Fact]
    public async Task By_reference_returns_every_matching_order_newest_first()
    {
        var partner = await NewPartnerAsync();
        var first = (await partner.CreatedStarsOrderAsync(reference: "invoice-7")).GetProperty("id").GetInt64();
        await partner.CreatedStarsOrderAsync(reference: "invoice-8");
        var second = (await partner.CreatedStarsOrderAsync(reference: "invoice-7")).GetProperty("id").GetInt64();

        var page = await (await partner.Client.GetAsync("/api/v1/orders/by-reference/invoice-7")).AssertOkAsync();

        Assert.Equal(2, page.GetProperty("total").GetInt32());
        Assert.Equal([second, first], page.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("id").GetInt64()).ToArray());
    }

    [Fact]
    public async Task List_filters_and_pages_newest_first()
    {
        var partner = await NewPartnerAsync();
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await partner.CreatedStarsOrderAsync()).GetProperty("id").GetInt64());
        }

        var premium = (await (await partner.CreatePremiumAsync()).AssertOkAsync()).GetProperty("id").GetInt64();
        await (await partner.CancelAsync(ids[0])).AssertOkAsync();

        var all = await (await partner.Client.GetAsync("/api/v1/orders?limit=2&offset=1")).AssertOkAsync();
        Assert.Equal(4, all.GetProperty("total").GetInt32());
        Assert.Equal(2, all.GetProperty("limit").GetInt32());
        Assert.Equal(1, all.GetProperty("offset").GetInt32());
        Assert.Equal([ids[2], ids[1]], Ids(all));

        Assert.Equal([premium], Ids(await (await partner.Client.GetAsync("/api/v1/orders?order_type=premium")).AssertOkAsync()));
        Assert.Equal([ids[0]], Ids(await (await partner.Client.GetAsync("/api/v1/orders?status=cancelled")).AssertOkAsync()));
        var future = DateTimeOffset.UtcNow.AddMinutes(5).ToString("O", CultureInfo.InvariantCulture);
        Assert.Empty(Ids(await (await partner.Client.GetAsync($"/api/v1/orders?created_from={Uri.EscapeDataString(future)}")).AssertOkAsync()));
        Assert.Equal(4, Ids(await (await partner.Client.GetAsync($"/api/v1/orders?created_to={Uri.EscapeDataString(future)}")).AssertOkAsync()).Length);

        // Filters together, and a page past the end still tells the total of what the filters match.
        var stars = await (await partner.Client.GetAsync("/api/v1/orders?status=pending_payment&order_type=stars&limit=1")).AssertOkAsync();
        Assert.Equal(2, stars.GetProperty("total").GetInt32());
        Assert.Equal([ids[2]], Ids(stars));
        var past = await (await partner.Client.GetAsync("/api/v1/orders?status=pending_payment&order_type=stars&offset=5")).AssertOkAsync();
        Assert.Equal(2, past.GetProperty("total").GetInt32());
        Assert.Empty(Ids(past));
        Assert.Equal(4, (await (await partner.Client.GetAsync("/api/v1/orders?offset=100")).AssertOkAsync()).GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("limit=0", "limit must be between 1 and 100")]
    [InlineData("limit=101", "limit must be between 1 and 100")]
    [InlineData("offset=-1", "offset must be 0 or more")]
    [InlineData("status=lost", "status must be one of")]
    [InlineData("order_type=gift", "order_type must be stars or premium")]
    [InlineData("created_from=2026-02-01T00:00:00Z&created_to=2026-01-01T00:00:00Z", "created_from must not be after created_to")]
    [InlineData("limit=abc", "limit")]
    public async Task Invalid_list_query_is_422(string query, string message)
    {
        var partner = await NewPartnerAsync();

        var error = await (await partner.Client.GetAsync($"/api/v1/orders?{query}")).AssertErrorAsync(422, ErrorCodes.ValidationError);

        Assert.Contains(message, error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_moves_pending_to_cancelled_and_repeats_with_200()
    {
        var partner = await NewPartnerAsync();
        var id = (await partner.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();

        var cancelled = await (await partner.CancelAsync(id)).AssertOkAsync();
        var again = await (await partner.CancelAsync(id)).AssertOkAsync();

        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, cancelled.GetProperty("cancelled_at").ValueKind);
        Assert.Equal(cancelled.GetProperty("cancelled_at").GetString(), again.GetProperty("cancelled_at").GetString());
    }

    [Fact]
    public async Task Cancel_of_a_paid_order_is_409_and_changes_nothing()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(5m, "cancel-test");
        var id = (await partner.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64();

        await (await partner.CancelAsync(id)).AssertErrorAsync(409, ErrorCodes.OrderNotCancellable);

        var order = await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();
        Assert.Equal("paid", order.GetProperty("status").GetString());
        await (await partner.CancelAsync(999_999_999)).AssertErrorAsync(404, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task Stats_count_per_status_and_type_and_sum_ton_spent()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(10m, "stats");
        await partner.CreatedStarsOrderAsync(method: "balance");
        await (await partner.CreatePremiumAsync(method: "balance")).AssertOkAsync();
        var pending = (await partner.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();
        await partner.CancelAsync(pending);
        await partner.CreatedStarsOrderAsync();

        var stats = await (await partner.Client.GetAsync("/api/v1/orders/stats/summary")).AssertOkAsync();

        Assert.Equal(4, stats.GetProperty("total_orders").GetInt64());
        Assert.Equal(2, stats.GetProperty("by_status").GetProperty("paid").GetInt64());
        Assert.Equal(1, stats.GetProperty("by_status").GetProperty("cancelled").GetInt64());
        Assert.Equal(1, stats.GetProperty("by_status").GetProperty("pending_payment").GetInt64());
        Assert.Equal(0, stats.GetProperty("by_status").GetProperty("completed").GetInt64());
        Assert.Equal(3, stats.GetProperty("by_type").GetProperty("stars").GetInt64());
        Assert.Equal(1, stats.GetProperty("by_type").GetProperty("premium").GetInt64());
        Assert.Equal(0.417m + 3.331m, stats.GetProperty("ton_spent").GetDecimal());
        Assert.Equal(0m, stats.GetProperty("ton_received").GetDecimal());

        var future = DateTimeOffset.UtcNow.AddHours(1).ToString("O", CultureInfo.InvariantCulture);
        var empty = await (await partner.Client.GetAsync($"/api/v1/orders/stats/summary?from={Uri.EscapeDataString(future)}")).AssertOkAsync();
        Assert.Equal(0, empty.GetProperty("total_orders").GetInt64());
        await (await partner.Client.GetAsync("/api/v1/orders/stats/summary?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"))
            .AssertErrorAsync(422, ErrorCodes.ValidationError);
    }

    [Fact]
    public async Task Memos_are_unique_across_many_orders()
    {
        var partner = await NewPartnerAsync();
        var memos = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            memos.Add((await partner.CreatedStarsOrderAsync()).GetProperty("payment_memo").GetString()!);
        }

        Assert.Equal(memos.Count, memos.Distinct(StringComparer.Ordinal).Count());
    }

    private static long[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("id").GetInt64()).ToArray();

    private static DateTimeOffset Instant(JsonElement order, string field) =>
        DateTimeOffset.Parse(order.GetProperty(field).GetString()!, CultureInfo.InvariantCulture);
}

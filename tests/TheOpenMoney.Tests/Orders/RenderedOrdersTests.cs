using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Infrastructure.Json;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Tests.Orders;

/// <summary>
/// The partner's order reads answer JSON rendered once per row version (<see cref="RenderedOrders"/>, keyed by the row's
/// <c>xmin</c>). Held here: a remembered answer is byte for byte what rendering the row answers (checked against a
/// second instance that renders every read, and against the response type serialised in process); a change made
/// anywhere (another instance, a SQL update as the payment and delivery paths make) is answered on the very next read;
/// another partner's order stays not found; the cache stays within its bound.
/// </summary>
public sealed class RenderedOrdersTests(RenderedOrdersTests.First first) : IClassFixture<RenderedOrdersTests.First>, IAsyncLifetime
{
    private const int Bound = 4;

    private SecondInstance _renderingEveryRead = null!;

    public sealed class First : SettingsFactory
    {
        public First() => Settings["Orders:RenderCacheSize"] = Bound.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task InitializeAsync()
    {
        _renderingEveryRead = new SecondInstance(first, new Dictionary<string, string?> { ["Orders:RenderCacheSize"] = "0" });
        await _renderingEveryRead.InitializeAsync();
    }

    public async Task DisposeAsync() => await _renderingEveryRead.DisposeAsync();

    private RenderedOrders Cache => first.Services.GetRequiredService<RenderedOrders>();

    private static async Task<string> BodyAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>The same GET on the caching instance (twice: the second answer is the remembered one) and on the instance rendering every read.</summary>
    private async Task<string> SameOnBothAsync(PartnerApi partner, string path)
    {
        using var other = _renderingEveryRead.CreateClient(partner.Key);
        var rendered = await BodyAsync(other, path);
        Assert.Equal(rendered, await BodyAsync(partner.Client, path));
        Assert.Equal(rendered, await BodyAsync(partner.Client, path));
        return rendered;
    }

    [Fact]
    public async Task A_remembered_answer_is_byte_for_byte_the_rendered_one()
    {
        var partner = await PartnerApi.CreateAsync(first);
        var plain = await partner.CreatedStarsOrderAsync(reference: "rendered-plain");
        var full = await partner.CreatedStarsOrderAsync(reference: "rendered-full");
        var fullId = full.GetProperty("id").GetInt64();
        // Every nullable column set, fractions of seconds, decimals at full scale: every field of the answer in play.
        await Db.ExecuteAsync(
            first,
            """
            UPDATE orders SET status = 'failed', paid_at = '2026-01-02T03:04:05.123456Z', completed_at = '2026-01-02T03:04:06.5Z',
                   cancelled_at = '2026-01-02T03:04:07Z', expired_at = '2026-01-02T03:04:08.000001Z', failed_at = '2026-01-02T03:04:09Z',
                   paid_nanoton = price_nanoton, payment_tx_hash = 'hash-1', failure_reason = 'supplier said "no" <b>',
                   refunded_nanoton = 7, late_paid_nanoton = 11, supplier_reference = 'sup-1', tonramp_payload = 'p',
                   tonramp_deep_link = 'https://d', tonramp_telegram_link = 'https://t', tonramp_status = 'paid',
                   price_usd = 1.123456, fee_percent = 2.5, ton_usd_rate = 3.123456789
             WHERE id = $1
            """,
            fullId);

        foreach (var path in new[]
                 {
                     $"/api/v1/orders/{plain.GetProperty("id").GetInt64()}",
                     $"/api/v1/orders/{fullId}",
                     $"/api/v1/orders/by-memo/{plain.GetProperty("payment_memo").GetString()!.ToLowerInvariant()}",
                     "/api/v1/orders?limit=20",
                     "/api/v1/orders?limit=1&offset=1",
                     "/api/v1/orders?status=failed",
                     "/api/v1/orders?offset=50",
                     "/api/v1/orders/by-reference/rendered-full",
                 })
        {
            await SameOnBothAsync(partner, path);
        }

        // A fresh order reads as its creation answered it (MVC writing the response type)...
        using var created = await partner.CreateStarsAsync(reference: "rendered-created");
        var createdBody = await created.Content.ReadAsStringAsync();
        var createdId = JsonDocument.Parse(createdBody).RootElement.GetProperty("data").GetProperty("id").GetInt64();
        Assert.Contains("&text=", createdBody, StringComparison.Ordinal);
        Assert.Equal(createdBody, await SameOnBothAsync(partner, $"/api/v1/orders/{createdId}"));
        using (var read = await partner.Client.GetAsync($"/api/v1/orders/{createdId}"))
        {
            Assert.Equal(created.Content.Headers.ContentType, read.Content.Headers.ContentType);
            Assert.Equal(Encoding.UTF8.GetByteCount(createdBody), read.Content.Headers.ContentLength);
        }

        // ...and the full one as the response type serialises with MVC's JSON formatter, in process.
        using var scope = first.Services.CreateScope();
        var order = await scope.ServiceProvider.GetRequiredService<OrderReads>().FindAsync(partner.PartnerId, fullId, CancellationToken.None);
        var options = BufferedJsonOutputFormatter.Of(first.Services.GetRequiredService<IOptions<MvcOptions>>().Value).SerializerOptions;
        Assert.Equal(JsonSerializer.Serialize(ApiResponse.Of(order.ToResponse()), options), await BodyAsync(partner.Client, $"/api/v1/orders/{fullId}"));
    }

    [Fact]
    public async Task A_change_made_anywhere_is_answered_on_the_next_read()
    {
        var partner = await PartnerApi.CreateAsync(first);
        var id = (await partner.CreatedStarsOrderAsync(reference: "rendered-change")).GetProperty("id").GetInt64();
        var path = $"/api/v1/orders/{id}";
        var before = await SameOnBothAsync(partner, path);
        Assert.Contains("\"status\":\"pending_payment\"", before, StringComparison.Ordinal);
        Assert.Contains("\"payment_link\":\"ton://", before, StringComparison.Ordinal);

        // Cancelled through the other instance: this one answers it at once, in the order and in the page.
        using (var other = _renderingEveryRead.CreateClient(partner.Key))
        {
            (await other.PostAsync($"/api/v1/orders/{id}/cancel", null)).EnsureSuccessStatusCode();
        }

        var cancelled = await SameOnBothAsync(partner, path);
        Assert.Contains("\"status\":\"cancelled\"", cancelled, StringComparison.Ordinal);
        Assert.Contains("\"payment_link\":null", cancelled, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"cancelled\"", await SameOnBothAsync(partner, "/api/v1/orders/by-reference/rendered-change"), StringComparison.Ordinal);

        // Updated in SQL, the way the payment and delivery paths write: the next read answers it.
        await Db.ExecuteAsync(first, "UPDATE orders SET late_paid_nanoton = 5 WHERE id = $1", id);
        Assert.Contains("\"late_paid_nanoton\":\"5\"", await SameOnBothAsync(partner, path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_answers_each_order_at_its_current_version()
    {
        var partner = await PartnerApi.CreateAsync(first);
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await partner.CreatedStarsOrderAsync(reference: $"rendered-page-{i}")).GetProperty("id").GetInt64());
        }

        const string page = "/api/v1/orders?limit=3";
        await SameOnBothAsync(partner, page);
        await Db.ExecuteAsync(first, "UPDATE orders SET late_paid_nanoton = 9 WHERE id = $1", ids[1]);
        var after = JsonDocument.Parse(await SameOnBothAsync(partner, page)).RootElement.GetProperty("data");

        Assert.Equal(3, after.GetProperty("total").GetInt32());
        var items = after.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(ids.AsEnumerable().Reverse(), items.Select(item => item.GetProperty("id").GetInt64()));
        Assert.Equal(["0", "9", "0"], items.Select(item => item.GetProperty("late_paid_nanoton").GetString()));
    }

    [Fact]
    public async Task Another_partners_order_stays_not_found_though_rendered()
    {
        var owner = await PartnerApi.CreateAsync(first);
        var order = await owner.CreatedStarsOrderAsync(reference: "rendered-mine");
        var id = order.GetProperty("id").GetInt64();
        await SameOnBothAsync(owner, $"/api/v1/orders/{id}");
        Assert.True(Cache.TryGet(id, (uint)await Db.ScalarAsync(first, "SELECT xmin::text::bigint FROM orders WHERE id = $1", id), out _));

        var stranger = await PartnerApi.CreateAsync(first);
        await (await stranger.Client.GetAsync($"/api/v1/orders/{id}")).AssertErrorAsync(404, "NOT_FOUND");
        await (await stranger.Client.GetAsync($"/api/v1/orders/by-memo/{order.GetProperty("payment_memo").GetString()}")).AssertErrorAsync(404, "NOT_FOUND");
        var page = await (await stranger.Client.GetAsync("/api/v1/orders")).AssertOkAsync();
        Assert.Equal(0, page.GetProperty("total").GetInt32());
        Assert.Empty(page.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task The_cache_stays_within_its_bound_and_every_answer_stays_right()
    {
        var partner = await PartnerApi.CreateAsync(first);
        var ids = new List<long>();
        for (var i = 0; i < 3 * Bound; i++)
        {
            ids.Add((await partner.CreatedStarsOrderAsync(reference: $"rendered-bound-{i}")).GetProperty("id").GetInt64());
        }

        foreach (var id in ids)
        {
            await SameOnBothAsync(partner, $"/api/v1/orders/{id}");
            Assert.InRange(Cache.Count, 1, Bound);
        }

        await SameOnBothAsync(partner, "/api/v1/orders?limit=100");
        Assert.InRange(Cache.Count, 1, Bound);
    }
}

/// <summary><c>Orders:RenderCacheSize</c> out of range or not a number stops start-up instead of running unbounded or off by surprise.</summary>
public sealed class RenderCacheSizeOptionTests
{
    [Theory]
    [InlineData("-1", "Orders:RenderCacheSize must be 0 to 1,000,000")]
    [InlineData("1000001", "Orders:RenderCacheSize must be 0 to 1,000,000")]
    [InlineData("ten", "RenderCacheSize")]
    [InlineData("99999999999", "RenderCacheSize")]
    public async Task A_size_out_of_range_or_not_a_number_stops_start_up(string size, string expected)
    {
        var factory = new SettingsFactory();
        factory.Settings["Orders:RenderCacheSize"] = size;
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(factory.InitializeAsync);
            Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await factory.DisposeAsync();
        }
    }
}

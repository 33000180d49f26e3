using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using TheOpenMoney.Simulators;
using ApiTonAddress = TheOpenMoney.Api.Ton.TonAddress;

namespace TheOpenMoney.Tests.Payments;

/// <summary>The simulator behaves like bicycle where the API depends on it (seed 003 and the facts in API.md).</summary>
public sealed class SimulatorContractTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = SimulatorApp.Create(["--urls", "http://127.0.0.1:0"], o => o.ApiToken = "t0k");
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.Single()) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t0k");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Wrong_or_missing_token_is_401_with_an_empty_body()
    {
        using var anonymous = new HttpClient { BaseAddress = _client.BaseAddress };

        var response = await anonymous.GetAsync("/v1/address/all?user_id=x");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/v1/system/sync")).StatusCode);
    }

    [Fact]
    public async Task New_address_is_always_new_valid_and_non_bounceable()
    {
        var first = await NewAddressAsync("u1");
        var second = await NewAddressAsync("u1");

        Assert.NotEqual(first, second);
        foreach (var address in new[] { first, second })
        {
            Assert.True(ApiTonAddress.IsValid(address), address);
            Assert.StartsWith("UQ", address, StringComparison.Ordinal);
            Assert.Equal(address, ApiTonAddress.ToNonBounceable(address));
        }
    }

    [Fact]
    public async Task History_needs_limit_and_offset_defaults_to_desc_and_omits_empty_comments()
    {
        var address = await NewAddressAsync("h1");
        foreach (var (amount, comment) in new[] { ("1000", "first"), ("2000", (string?)null) })
        {
            (await _client.PostAsJsonAsync("/_sim/deposits", new { deposit_address = address, amount, comment })).EnsureSuccessStatusCode();
        }

        var missing = await _client.GetAsync("/v1/deposit/history?user_id=h1&currency=TON");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.True(JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.TryGetProperty("error", out _));

        var desc = await IncomesAsync("/v1/deposit/history?user_id=h1&currency=TON&limit=10&offset=0");
        var asc = await IncomesAsync("/v1/deposit/history?user_id=h1&currency=TON&limit=10&offset=0&sort_order=asc");
        Assert.Equal(["2000", "1000"], desc.Select(i => i.GetProperty("amount").GetString()!).ToArray());
        Assert.Equal(["1000", "2000"], asc.Select(i => i.GetProperty("amount").GetString()!).ToArray());
        Assert.Equal("first", asc[0].GetProperty("comment").GetString());
        Assert.False(asc[1].TryGetProperty("comment", out _));
        Assert.Single(await IncomesAsync("/v1/deposit/history?user_id=h1&currency=TON&limit=1&offset=1&sort_order=asc"));
    }

    [Fact]
    public async Task History_is_in_chain_time_order_whatever_the_injection_order_and_pages_cover_it_exactly()
    {
        var address = await NewAddressAsync("o1");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // Injected out of order; two share a time (then injection order decides).
        var times = new long[] { now - 50, now - 90, now - 10, now - 90, now - 70, now - 30, now - 60 };
        for (var i = 0; i < times.Length; i++)
        {
            (await _client.PostAsJsonAsync("/_sim/deposits", new { deposit_address = address, amount = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), time = times[i] }))
                .EnsureSuccessStatusCode();
        }

        var expected = new[] { "2", "4", "5", "7", "1", "6", "3" };
        var paged = new List<string>();
        for (var offset = 0; offset < 10; offset += 3)
        {
            paged.AddRange((await IncomesAsync($"/v1/deposit/history?user_id=o1&currency=TON&limit=3&offset={offset}&sort_order=asc"))
                .Select(i => i.GetProperty("amount").GetString()!));
        }

        var desc = await IncomesAsync("/v1/deposit/history?user_id=o1&currency=TON&limit=2&offset=1");

        Assert.Equal(expected, paged);
        Assert.Equal(["6", "1"], desc.Select(i => i.GetProperty("amount").GetString()!).ToArray());
        Assert.Empty(await IncomesAsync("/v1/deposit/history?user_id=o1&currency=TON&limit=3&offset=7&sort_order=asc"));
        Assert.Empty(await IncomesAsync("/v1/deposit/history?user_id=nobody&currency=TON&limit=3&offset=0"));

        // A processor 40 s behind shows only what it has scanned: the five oldest.
        (await _client.PostAsJsonAsync("/_sim/lag", new { seconds = 40 })).EnsureSuccessStatusCode();
        var lagging = await IncomesAsync("/v1/deposit/history?user_id=o1&currency=TON&limit=10&offset=0&sort_order=asc");
        Assert.Equal(expected[..5], lagging.Select(i => i.GetProperty("amount").GetString()!).ToArray());
    }

    [Fact]
    public async Task Lag_hides_recent_deposits_and_shows_in_sync()
    {
        var address = await NewAddressAsync("l1");
        (await _client.PostAsJsonAsync("/_sim/lag", new { seconds = 120 })).EnsureSuccessStatusCode();
        (await _client.PostAsJsonAsync("/_sim/deposits", new { deposit_address = address, amount = "5" })).EnsureSuccessStatusCode();

        var sync = JsonDocument.Parse(await _client.GetStringAsync("/v1/system/sync")).RootElement;

        Assert.False(sync.GetProperty("is_synced").GetBoolean());
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - sync.GetProperty("last_block_gen_utime").GetInt64(), 119, 125);
        Assert.Empty(await IncomesAsync("/v1/deposit/history?user_id=l1&currency=TON&limit=10&offset=0"));
        (await _client.PostAsJsonAsync("/_sim/lag", new { seconds = 0 })).EnsureSuccessStatusCode();
        Assert.Single(await IncomesAsync("/v1/deposit/history?user_id=l1&currency=TON&limit=10&offset=0"));
    }

    [Fact]
    public async Task Injected_failures_answer_500_with_an_error_body_then_stop()
    {
        (await _client.PostAsJsonAsync("/_sim/fail", new { count = 2 })).EnsureSuccessStatusCode();

        var failed = await _client.GetAsync("/v1/system/sync");
        await _client.GetAsync("/v1/system/sync");
        var recovered = await _client.GetAsync("/v1/system/sync");

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("simulated failure", JsonDocument.Parse(await failed.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    private async Task<string> NewAddressAsync(string userId)
    {
        var response = await _client.PostAsJsonAsync("/v1/address/new", new { user_id = userId, currency = "TON" });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("address").GetString()!;
    }

    private async Task<List<JsonElement>> IncomesAsync(string url) =>
        JsonDocument.Parse(await _client.GetStringAsync(url)).RootElement.GetProperty("incomes").EnumerateArray().Select(e => e.Clone()).ToList();
}

using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// Raw rows (POST /_sim/deposits/raw): rows a real processor could serve but the simulator's typed model cannot
/// hold, served byte for byte in history pages, by tx_hash and to the webhook. No database.
/// </summary>
public sealed class SimulatorRawRowsTests : IAsyncLifetime
{
    private const string Token = "t0k";
    private const string HookToken = "h00k";

    private readonly ConcurrentQueue<(string Body, string? Authorization)> _pushes = new();
    private FakeHttpServer _hook = null!;
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    private ProcessorState Processor => _app.Services.GetRequiredService<ProcessorState>();

    public async Task InitializeAsync()
    {
        _hook = await FakeHttpServer.StartAsync();
        _hook.Handler = async context =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            _pushes.Enqueue((await reader.ReadToEndAsync(), context.Request.Headers.Authorization.ToString()));
            context.Response.StatusCode = StatusCodes.Status200OK;
        };
        _app = SimulatorApp.Create(["--urls", "http://127.0.0.1:0"], o => o.ApiToken = Token);
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.Single()) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _hook.DisposeAsync();
    }

    [Fact]
    public async Task A_page_without_raw_rows_keeps_the_exact_bicycle_format()
    {
        var address = await NewAddressAsync("plain");
        await DepositAsync(new { deposit_address = address, amount = "5", comment = "héllo <&>", time = 1_700_000_000, tx_hash = "ab12" });

        var body = await GetTextAsync("/v1/deposit/history?user_id=plain&currency=TON&limit=10&offset=0");

        Assert.Equal(
            $"{{\"incomes\":[{{\"deposit_address\":\"{address}\",\"time\":1700000000,\"amount\":\"5\",\"comment\":\"héllo <&>\",\"tx_hash\":\"ab12\"}}]}}\n",
            body);
    }

    [Fact]
    public async Task Garbage_rows_appear_verbatim_in_history_pages_in_injection_order()
    {
        var address = await NewAddressAsync("orders");
        var before = await DepositAsync(new { user_id = "orders", amount = "1000", comment = "nul\u0000 bell\u0007 end", tx_hash = "before" });
        var rows = GarbageRows(address);
        var batch = await _client.PostAsJsonAsync("/_sim/deposits/raw/batch", new { rows = rows.Select(r => new { income = r }).ToArray() });
        var batchText = await batch.Content.ReadAsStringAsync();
        Assert.True(batch.IsSuccessStatusCode, batchText);
        var sequences = JsonDocument.Parse(batchText).RootElement.GetProperty("sequences").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(rows.Length, JsonDocument.Parse(batchText).RootElement.GetProperty("count").GetInt32());
        Assert.Equal(Enumerable.Range(2, rows.Length).Select(i => (long)i), sequences);
        var single = await RawAsync(new { income = "{\"amount\":\"-5\"}" });
        Assert.Equal(rows.Length + 2, single.GetProperty("sequence").GetInt64());
        Assert.Equal("orders", single.GetProperty("user_id").GetString());
        var after = await DepositAsync(new { user_id = "orders", amount = "2000", tx_hash = "after" });

        var beforeText = await IncomeTextAsync(before);
        var afterText = await IncomeTextAsync(after);
        var all = new[] { beforeText }.Concat(rows).Append("{\"amount\":\"-5\"}").Append(afterText).ToArray();
        var asc = await GetTextAsync("/v1/deposit/history?user_id=orders&currency=TON&limit=1000&offset=0&sort_order=asc");
        var desc = await GetTextAsync("/v1/deposit/history?user_id=orders&currency=TON&limit=4&offset=2");
        var middle = await GetTextAsync("/v1/deposit/history?user_id=orders&currency=TON&limit=3&offset=1&sort_order=asc");

        Assert.Equal("{\"incomes\":[" + string.Join(',', all) + "]}\n", asc);
        Assert.Equal("{\"incomes\":[" + string.Join(',', all.Reverse().Skip(2).Take(4)) + "]}\n", desc);
        Assert.Equal("{\"incomes\":[" + string.Join(',', all.Skip(1).Take(3)) + "]}\n", middle);
        // The bytes on the wire, not only the decoded text: the invalid escape and the NUL escape are as injected.
        Assert.Contains("\"comment\":\"\\ud800\"", asc, StringComparison.Ordinal);
        Assert.Contains("\"comment\":\"nul\\u0000 bell\\u0007 end\"", asc, StringComparison.Ordinal);
        Assert.Equal(all.Length, Processor.DepositCount);

        (await _client.PostAsync("/_sim/reset", null)).EnsureSuccessStatusCode();
        Assert.Equal("{\"incomes\":[]}\n", await GetTextAsync("/v1/deposit/history?user_id=orders&currency=TON&limit=10&offset=0"));
    }

    [Fact]
    public async Task A_raw_row_with_a_tx_hash_is_answered_verbatim_by_income_lookup()
    {
        var longHash = new string('f', 200);
        const string Income = "{\"deposit_address\":\"x\",\"time\":-1e14,\"amount\":1e400,\"comment\":\"\\ud800\\q\",\"tx_hash\":\"mismatch\"}";
        await RawAsync(new { user_id = "topups", income = Income, tx_hash = longHash });
        await RawAsync(new { user_id = "topups", income = "{\"amount\":\"1\"}" });

        var found = await _client.GetAsync($"/v1/deposit/income?tx_hash={longHash}");
        var upper = await _client.GetAsync($"/v1/deposit/income?tx_hash={longHash.ToUpperInvariant()}");
        var unknown = await _client.GetAsync($"/v1/deposit/income?tx_hash={new string('0', 64)}");

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("{\"currency\":\"TON\",\"income\":" + Income + "}\n", await found.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, upper.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(2, await CountAsync("/v1/deposit/history?user_id=topups&currency=TON&limit=10&offset=0", "\"amount\""));
    }

    [Fact]
    public async Task Raw_rows_never_count_in_income_or_balance_and_follow_lag_by_injection_time()
    {
        var address = await NewAddressAsync("sums");
        await DepositAsync(new { deposit_address = address, amount = "5" });
        await RawAsync(new { user_id = "sums", income = $"{{\"deposit_address\":\"{address}\",\"time\":1,\"amount\":\"1000000000\",\"tx_hash\":\"r1\"}}", tx_hash = "r1" });

        var income = JsonDocument.Parse(await GetTextAsync("/v1/income?user_id=sums")).RootElement.GetProperty("total_income");
        var balance = JsonDocument.Parse(await GetTextAsync($"/v1/balance?currency=TON&address={address}")).RootElement;

        Assert.Equal("5", Assert.Single(income.EnumerateArray()).GetProperty("amount").GetString());
        Assert.Equal("5", balance.GetProperty("balance").GetString());

        // Dated when injected: a processor 60 s behind does not show it yet (its "time":1 is only text).
        (await _client.PostAsJsonAsync("/_sim/lag", new { seconds = 60 })).EnsureSuccessStatusCode();
        await RawAsync(new { user_id = "lagged", income = "{\"amount\":\"7\"}", tx_hash = "r2" });
        Assert.Equal("{\"incomes\":[]}\n", await GetTextAsync("/v1/deposit/history?user_id=lagged&currency=TON&limit=10&offset=0"));
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/v1/deposit/income?tx_hash=r2")).StatusCode);
        (await _client.PostAsJsonAsync("/_sim/lag", new { seconds = 0 })).EnsureSuccessStatusCode();
        Assert.Equal("{\"incomes\":[{\"amount\":\"7\"}]}\n", await GetTextAsync("/v1/deposit/history?user_id=lagged&currency=TON&limit=10&offset=0"));
    }

    [Fact]
    public async Task The_webhook_gets_the_webhook_body_or_else_the_income_text_verbatim()
    {
        var address = await NewAddressAsync("orders");
        const string Plain = "{\"amount\":\"0x10\",\"comment\":\"\\ud800\"}";
        const string Hook = "{\"deposit_address\":\"spoofed\",\"amount\":\"99999999999999999999\",\"user_id\":\"orders\",\"tx_hash\":\"x\"} trailing";
        await RawAsync(new { income = Plain });
        await RawAsync(new { income = "{\"amount\":\"1\"}", webhook_body = Hook, tx_hash = "hooked" });
        var normal = await DepositAsync(new { deposit_address = address, amount = "3", comment = "c" });

        (await _client.PostAsJsonAsync("/_sim/webhook", new { endpoint = _hook.Url + "/hook", token = HookToken })).EnsureSuccessStatusCode();
        await Eventually.WaitAsync(() => Task.FromResult(_pushes.Count), n => n >= 3, "three pushes");

        var pushes = _pushes.ToArray();
        Assert.Equal(3, pushes.Length);
        Assert.Equal(Plain, pushes[0].Body);
        Assert.Equal(Hook, pushes[1].Body);
        var payload = JsonDocument.Parse(pushes[2].Body).RootElement;
        Assert.Equal(normal, payload.GetProperty("tx_hash").GetString());
        Assert.Equal("orders", payload.GetProperty("user_id").GetString());
        Assert.All(pushes, p => Assert.Equal("Bearer " + HookToken, p.Authorization));
        Assert.Equal(3, Processor.WebhookDeliveries);
        Assert.Empty(Processor.GetUnpushedDeposits());
    }

    [Fact]
    public async Task Raw_batches_are_all_or_nothing_and_bad_requests_are_400()
    {
        var missing = await _client.PostAsJsonAsync("/_sim/deposits/raw/batch", new { rows = new object[] { new { income = "{}" }, new { user_id = "orders" } } });
        var empty = await _client.PostAsJsonAsync("/_sim/deposits/raw/batch", new { rows = new object[] { new { income = "{}" }, new { income = "" } } });
        var notObject = await _client.PostAsJsonAsync("/_sim/deposits/raw/batch", new { rows = new object[] { new { income = "{}" }, "row" } });
        var unknownField = await _client.PostAsJsonAsync("/_sim/deposits/raw", new { income = "{}", webhook = "typo" });
        var emptyUser = await _client.PostAsJsonAsync("/_sim/deposits/raw", new { income = "{}", user_id = "" });
        // A lone surrogate in the request's own string cannot be held; the escape must be sent as text (\\ud800).
        using var loneSurrogate = new StringContent("{\"income\":\"{\\\"c\\\":\\\"\\ud800\\\"}\"}", Encoding.UTF8, "application/json");
        var surrogate = await _client.PostAsync("/_sim/deposits/raw", loneSurrogate);

        foreach (var (response, error) in new[]
        {
            (missing, "rows[1]: income is required"),
            (empty, "rows[1]: income must not be empty"),
            (notObject, "rows[1]: must be an object"),
            (unknownField, "unknown field 'webhook'"),
            (emptyUser, "user_id must not be empty"),
            (surrogate, "income is not valid UTF-16"),
        })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith(error, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, Processor.DepositCount);

        // A JSON value other than a string is taken as the text written in the request.
        using var asObject = new StringContent("{\"income\": {\"amount\" : 7,  \"time\":\"soon\"}}", Encoding.UTF8, "application/json");
        (await _client.PostAsync("/_sim/deposits/raw", asObject)).EnsureSuccessStatusCode();
        Assert.Equal(
            "{\"incomes\":[{\"amount\" : 7,  \"time\":\"soon\"}]}\n",
            await GetTextAsync("/v1/deposit/history?user_id=orders&currency=TON&limit=10&offset=0"));
    }

    /// <summary>One income object each, as a hostile or broken processor could serve them.</summary>
    internal static string[] GarbageRows(string address)
    {
        string Row(string amount, string time = "1700000000", string tx = "\"t\"", string deposit = "") =>
            $"{{\"deposit_address\":\"{(deposit.Length > 0 ? deposit : address)}\",\"time\":{time},\"amount\":{amount},\"tx_hash\":{tx}}}";
        return
        [
            Row("\"-5\""),
            Row("\"abc\""),
            Row("\"1e12\""),
            Row("\"\""),
            Row("\" 7\""),
            Row("\"0x10\""),
            Row("\"9223372036854775808\""),
            Row("\"340282366920938463463374607431768211456\""),
            Row("417000000"),
            Row("\"1\"", time: "9223372036854775807"),
            Row("\"1\"", time: "-1e14"),
            Row("\"1\"", time: "\"1700000000\""),
            Row("\"1\"", tx: "\"" + new string('a', 129) + "\""),
            Row("\"1\"", deposit: "UQ" + new string('A', 63)),
            $"{{\"deposit_address\":\"{address}\",\"time\":1,\"amount\":\"1\",\"comment\":\"\\ud800\",\"tx_hash\":\"s\"}}",
            $"{{\"deposit_address\":\"{address}\",\"time\":1,\"amount\":\"1\",\"comment\":\"bad \\q escape\",\"tx_hash\":\"q\"}}",
            $"{{\"deposit_address\":\"{address}\",\"time\":1,\"amount\":\"1\",\"comment\":\"\\u0000\\u001f\\u007f STARS-abc123\\u0000\",\"tx_hash\":\"n\"}}",
            "{\"time\":1700000000}",
            "{}",
            "{\"amount\":\"1\",\"comment\":\"" + new string('x', 5000) + "\"}",
        ];
    }

    private async Task<string> NewAddressAsync(string userId)
    {
        var response = await _client.PostAsJsonAsync("/v1/address/new", new { user_id = userId, currency = "TON" });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("address").GetString()!;
    }

    /// <summary>Injects a typed deposit; returns its tx_hash.</summary>
    private async Task<string> DepositAsync(object body)
    {
        var response = await _client.PostAsJsonAsync("/_sim/deposits", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("tx_hash").GetString()!;
    }

    private async Task<JsonElement> RawAsync(object body)
    {
        var response = await _client.PostAsJsonAsync("/_sim/deposits/raw", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The income object's text exactly as GET /v1/deposit/income writes it.</summary>
    private async Task<string> IncomeTextAsync(string txHash)
    {
        var text = await GetTextAsync($"/v1/deposit/income?tx_hash={txHash}");
        const string Prefix = "{\"currency\":\"TON\",\"income\":";
        Assert.StartsWith(Prefix, text, StringComparison.Ordinal);
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        return text[Prefix.Length..^2];
    }

    private async Task<string> GetTextAsync(string url)
    {
        var response = await _client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return text;
    }

    private async Task<int> CountAsync(string url, string needle)
    {
        var text = await GetTextAsync(url);
        var count = 0;
        for (var at = text.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = text.IndexOf(needle, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

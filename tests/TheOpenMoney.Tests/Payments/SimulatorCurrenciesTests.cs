using System.Globalization;
using System.Net.Http.Json;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// The processor simulator serves each configured currency (TON and USDT by default) the way bicycle does: an address
/// belongs to one currency, and history, income, the income by hash and balances are per currency. TON alone reads
/// exactly as before. No database.
/// </summary>
public sealed class SimulatorCurrenciesTests : IAsyncLifetime
{
    private const string Token = "t0k";

    private SimulatorHost _simulator = null!;

    private HttpClient Client => _simulator.Client;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(Token);

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Each_currency_has_its_own_addresses_history_income_and_balance()
    {
        var ton = await NewAddressAsync("orders", "TON");
        var usdt = await NewAddressAsync("orders", "USDT");
        var tonHash = await DepositAsync(new { user_id = "orders", amount = "417000000", comment = "STARS-aaaaaa" });
        var usdtHash = await DepositAsync(new { user_id = "orders", currency = "USDT", amount = "1500000", comment = "STARS-bbbbbb" });

        var all = await GetJsonAsync("/v1/address/all?user_id=orders");
        Assert.Equal(
            [(ton, "TON"), (usdt, "USDT")],
            all.GetProperty("addresses").EnumerateArray().Select(a => (a.GetProperty("address").GetString(), a.GetProperty("currency").GetString())).ToArray());

        var tonHistory = (await GetJsonAsync("/v1/deposit/history?user_id=orders&currency=TON&limit=10&offset=0")).GetProperty("incomes");
        var usdtHistory = (await GetJsonAsync("/v1/deposit/history?user_id=orders&currency=USDT&limit=10&offset=0")).GetProperty("incomes");
        Assert.Equal([(ton, "417000000", tonHash)], Rows(tonHistory));
        Assert.Equal([(usdt, "1500000", usdtHash)], Rows(usdtHistory));

        var byUsdtHash = await GetJsonAsync($"/v1/deposit/income?tx_hash={usdtHash}");
        Assert.Equal("USDT", byUsdtHash.GetProperty("currency").GetString());
        Assert.Equal("STARS-bbbbbb", byUsdtHash.GetProperty("income").GetProperty("comment").GetString());
        Assert.Equal("TON", (await GetJsonAsync($"/v1/deposit/income?tx_hash={tonHash}")).GetProperty("currency").GetString());

        var income = (await GetJsonAsync("/v1/income?user_id=orders")).GetProperty("total_income");
        Assert.Equal(
            [(ton, "417000000", "TON"), (usdt, "1500000", "USDT")],
            income.EnumerateArray().Select(i => (i.GetProperty("deposit_address").GetString(), i.GetProperty("amount").GetString(), i.GetProperty("currency").GetString())).ToArray());

        // An address holds only its own currency; the hot wallet's TON balance never counts a jetton.
        Assert.Equal("1500000", (await GetJsonAsync($"/v1/balance?currency=USDT&address={usdt}")).GetProperty("balance").GetString());
        Assert.Equal("0", (await GetJsonAsync($"/v1/balance?currency=USDT&address={ton}")).GetProperty("balance").GetString());
        Assert.Equal("0", (await GetJsonAsync($"/v1/balance?currency=TON&address={usdt}")).GetProperty("balance").GetString());
        // Swept to the hot wallet once older than Simulator:SweepDelaySeconds (60 s): deposits dated two minutes ago.
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeSeconds();
        await DepositAsync(new { user_id = "orders", amount = "2000000000", time = earlier });
        await DepositAsync(new { user_id = "orders", currency = "USDT", amount = "3000000", time = earlier });
        Assert.Equal((10_000_000_000_000 + 2_000_000_000L).ToString(CultureInfo.InvariantCulture), (await GetJsonAsync("/v1/balance?currency=TON")).GetProperty("balance").GetString());
        Assert.Equal("3000000", (await GetJsonAsync("/v1/balance?currency=USDT")).GetProperty("balance").GetString());
    }

    [Fact]
    public async Task A_currency_the_processor_does_not_serve_or_a_mismatched_address_is_refused()
    {
        var ton = await NewAddressAsync("mixed", "TON");

        await AssertRefusedAsync(await Client.PostAsJsonAsync("/v1/address/new", new { user_id = "mixed", currency = "TGR" }), "invalid currency type");
        await AssertRefusedAsync(await Client.GetAsync("/v1/deposit/history?user_id=mixed&currency=usdt&limit=10&offset=0"), "invalid currency type");
        await AssertRefusedAsync(await Client.GetAsync("/v1/deposit/history?user_id=mixed&limit=10&offset=0"), "need to provide currency");
        await AssertRefusedAsync(await Client.PostAsJsonAsync("/_sim/deposits", new { deposit_address = ton, currency = "USDT", amount = "5" }), "receives TON, not USDT");
        await AssertRefusedAsync(await Client.PostAsJsonAsync("/_sim/deposits", new { user_id = "mixed", currency = "USDT", amount = "5" }), "no USDT deposit address");
        await AssertRefusedAsync(await Client.PostAsJsonAsync("/_sim/deposits", new { user_id = "mixed", currency = "DOGE", amount = "5" }), "invalid currency type");

        // Nothing was stored by the refusals.
        Assert.Empty((await GetJsonAsync("/v1/deposit/history?user_id=mixed&currency=TON&limit=10&offset=0")).GetProperty("incomes").EnumerateArray());
        Assert.Empty((await GetJsonAsync("/v1/deposit/history?user_id=mixed&currency=USDT&limit=10&offset=0")).GetProperty("incomes").EnumerateArray());
    }

    [Fact]
    public async Task A_raw_row_is_in_the_history_of_its_currency_only()
    {
        var response = await Client.PostAsJsonAsync("/_sim/deposits/raw", new { user_id = "rawcur", currency = "USDT", income = "{\"amount\":\"-1\"}", tx_hash = "raw-usdt-1" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        Assert.Equal("{\"incomes\":[]}\n", await (await Client.GetAsync("/v1/deposit/history?user_id=rawcur&currency=TON&limit=10&offset=0")).Content.ReadAsStringAsync());
        Assert.Equal("{\"incomes\":[{\"amount\":\"-1\"}]}\n", await (await Client.GetAsync("/v1/deposit/history?user_id=rawcur&currency=USDT&limit=10&offset=0")).Content.ReadAsStringAsync());
        Assert.Equal("{\"currency\":\"USDT\",\"income\":{\"amount\":\"-1\"}}\n", await (await Client.GetAsync("/v1/deposit/income?tx_hash=raw-usdt-1")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Usdt_addresses_and_deposits_survive_a_restart_through_the_state_file_and_ton_is_written_as_before()
    {
        var folder = Directory.CreateTempSubdirectory("tom-sim-currencies-");
        var file = Path.Combine(folder.FullName, "processor.json");
        try
        {
            string ton, usdt, tonHash, usdtHash;
            await using (var first = await SimulatorHost.StartAsync(Token, o => o.StateFile = file))
            {
                ton = await NewAddressAsync(first.Client, "orders", "TON");
                usdt = await NewAddressAsync(first.Client, "orders", "USDT");
                tonHash = await DepositAsync(first.Client, new { user_id = "orders", amount = "5" });
                usdtHash = await DepositAsync(first.Client, new { deposit_address = usdt, amount = "7" });
            }

            var text = await File.ReadAllTextAsync(file);
            Assert.Equal(2, text.Split("\"currency\":\"USDT\"").Length - 1); // the USDT address and its deposit
            Assert.DoesNotContain("\"currency\":\"TON\"", text, StringComparison.Ordinal);

            await using (var second = await SimulatorHost.StartAsync(Token, o => o.StateFile = file))
            {
                var restored = second.Processor;
                Assert.Equal([(ton, "TON"), (usdt, "USDT")], restored.GetAddressesWithCurrency("orders").ToArray());
                Assert.Equal([usdtHash], restored.GetHistory("orders", 10, 0, ascending: true, ProcessorCurrencies.Usdt).Select(d => d.TxHash).ToArray());
                Assert.Equal([tonHash], restored.GetHistory("orders", 10, 0, ascending: true).Select(d => d.TxHash).ToArray());
            }

            // A simulator configured without USDT refuses the file rather than serving USDT as something else.
            // Narrowed through configuration, as an operator would (Simulator__Currencies__0=TON).
            await Assert.ThrowsAsync<SimulatorStateFileException>(() => SimulatorHost.StartAsync(Token, o => o.StateFile = file, "Simulator:Currencies:0=TON"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static (string?, string?, string?)[] Rows(JsonElement incomes) =>
        incomes.EnumerateArray().Select(i => (i.GetProperty("deposit_address").GetString(), i.GetProperty("amount").GetString(), i.GetProperty("tx_hash").GetString())).ToArray();

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string error)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        Assert.Contains(error, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private Task<string> NewAddressAsync(string userId, string currency) => NewAddressAsync(Client, userId, currency);

    private static async Task<string> NewAddressAsync(HttpClient client, string userId, string currency)
    {
        var response = await client.PostAsJsonAsync("/v1/address/new", new { user_id = userId, currency });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("address").GetString()!;
    }

    private Task<string> DepositAsync(object body) => DepositAsync(Client, body);

    private static async Task<string> DepositAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/_sim/deposits", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("tx_hash").GetString()!;
    }

    private async Task<JsonElement> GetJsonAsync(string url)
    {
        var response = await Client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}

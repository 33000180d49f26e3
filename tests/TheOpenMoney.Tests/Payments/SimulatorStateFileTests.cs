using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// Simulator:StateFile: the processor fake keeps addresses, deposits (raw rows and duplicates included), the webhook
/// push progress, withdrawals and lag across restarts, over real HTTP on 127.0.0.1. No database.
/// </summary>
public sealed class SimulatorStateFileTests : IAsyncLifetime
{
    private const string Token = "t0k";
    private const string HookToken = "h00k";
    private const string Wallet = "UQBJ6gU8gh_jRrzYDlfw9cpCwHaSn2mrK4O-1h8CDENehGYJ";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "tom-sim-state-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<string> _pushes = new();
    private volatile bool _hookAccepts = true;
    private FakeHttpServer _hook = null!;

    public async Task InitializeAsync()
    {
        _hook = await FakeHttpServer.StartAsync();
        _hook.Handler = async context =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            _pushes.Enqueue(await reader.ReadToEndAsync());
            context.Response.StatusCode = _hookAccepts ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError;
        };
    }

    public async Task DisposeAsync()
    {
        await _hook.DisposeAsync();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Addresses_pages_totals_withdrawals_lag_and_push_progress_survive_a_restart()
    {
        // A folder that does not exist yet: the first save creates it.
        var file = Path.Combine(_folder, "nested", "processor.json");

        // ---- first run
        var (first, client) = await StartAsync(file);
        var state = first.Services.GetRequiredService<ProcessorState>();
        var orders = await NewAddressAsync(client, "orders");
        var orders2 = await NewAddressAsync(client, "orders");
        var topup = await NewAddressAsync(client, "topups");
        var paid = await DepositAsync(client, new { user_id = "orders", amount = "417000000", comment = "STARS-abc123\u0000\u0007 ", source_address = Wallet });
        await RawAsync(client, new { income = "{\"amount\":\"-5\",\"comment\":\"\\ud800\"}", tx_hash = "raw-one", webhook_body = "{\"hook\":\"\\ud800\"}" });
        await RawAsync(client, new { user_id = "topups", income = "{\"amount\":1e12}" });
        await DepositAsync(client, new { user_id = "orders", amount = "1", tx_hash = paid, duplicate = true });
        await DepositAsync(client, new { deposit_address = topup, amount = "5000000000", time = 1_700_000_000 });
        await Eventually.WaitAsync(() => Task.FromResult(state.WebhookDeliveries), n => n == 5, "five pushes");
        Assert.Equal(5, _pushes.Count);

        // The webhook refuses the next push: like bicycle, pushing stops; these two stay unpushed.
        _hookAccepts = false;
        var refused = await DepositAsync(client, new { deposit_address = orders2, amount = "3", comment = "later" });
        await Eventually.WaitAsync(() => Task.FromResult(state.WebhookEnabled), enabled => !enabled, "the webhook to be disabled");
        await RawAsync(client, new { income = "{\"time\":\"yesterday\"}", tx_hash = "raw-two" });
        var withdrawal = await client.PostAsJsonAsync("/v1/withdrawal/send", new { user_id = "orders", query_id = "q1", currency = "TON", amount = "100", destination = Wallet, comment = "out" });
        withdrawal.EnsureSuccessStatusCode();

        var before = await ReadEverythingAsync(client, paid, refused);
        (await client.PostAsJsonAsync("/_sim/lag", new { seconds = 12345 })).EnsureSuccessStatusCode();
        var pushedBefore = _pushes.ToArray();
        Assert.Equal(6, pushedBefore.Length);
        await StopAsync(first, client);
        Assert.Equal([file], Directory.GetFiles(Path.GetDirectoryName(file)!));

        // ---- second run on the same file; the webhook accepts again
        _hookAccepts = true;
        var (second, client2) = await StartAsync(file);
        try
        {
            var restored = second.Services.GetRequiredService<ProcessorState>();
            Assert.Equal([orders, orders2], restored.GetAddresses("orders"));
            Assert.Equal([topup], restored.GetAddresses("topups"));
            Assert.Equal(12345, JsonDocument.Parse(await client2.GetStringAsync("/_sim/state")).RootElement.GetProperty("lag_seconds").GetInt64());
            Assert.False(JsonDocument.Parse(await client2.GetStringAsync("/v1/system/sync")).RootElement.GetProperty("is_synced").GetBoolean());
            Assert.Equal(5, restored.WebhookDeliveries);

            (await client2.PostAsJsonAsync("/_sim/lag", new { seconds = 0 })).EnsureSuccessStatusCode();
            await Eventually.WaitAsync(() => Task.FromResult(restored.WebhookDeliveries), n => n == 7, "the two unpushed deposits");

            // Only what was not delivered before the restart is pushed, in order: the refused deposit, then the raw row.
            var pushedAfter = _pushes.Skip(pushedBefore.Length).ToArray();
            Assert.Equal(2, pushedAfter.Length);
            Assert.Equal(pushedBefore[^1], pushedAfter[0]);
            Assert.Equal(refused, JsonDocument.Parse(pushedAfter[0]).RootElement.GetProperty("tx_hash").GetString());
            Assert.Equal("{\"time\":\"yesterday\"}", pushedAfter[1]);
            Assert.Contains("{\"hook\":\"\\ud800\"}", pushedBefore);

            var after = await ReadEverythingAsync(client2, paid, refused);
            Assert.Equal(before.Keys.Order(), after.Keys.Order());
            foreach (var (url, body) in before)
            {
                Assert.True(body == after[url], $"{url} changed across the restart:\n{body}\n{after[url]}");
            }

            // Numbering goes on where it stopped; new addresses do not collide with old ones.
            var next = await RawAsync(client2, new { income = "{}" });
            Assert.Equal(8, next.GetProperty("sequence").GetInt64());
            Assert.DoesNotContain(await NewAddressAsync(client2, "orders"), new[] { orders, orders2, topup });
        }
        finally
        {
            await StopAsync(second, client2);
        }
    }

    [Fact]
    public async Task Changes_are_saved_shortly_after_they_happen_not_only_at_shutdown()
    {
        var file = Path.Combine(_folder, "processor.json");
        var (app, client) = await StartAsync(file);
        string address;
        var copy = Path.Combine(_folder, "copy.json");
        try
        {
            address = await NewAddressAsync(client, "orders");
            await DepositAsync(client, new { user_id = "orders", amount = "42", tx_hash = "saved-early" });

            // While it runs: the file appears within the debounce and holds the deposit.
            await Eventually.WaitAsync(
                () => Task.FromResult(File.Exists(file) && File.ReadAllText(file).Contains("saved-early", StringComparison.Ordinal)),
                saved => saved,
                "the state file to hold the deposit",
                seconds: 10);
            File.Copy(file, copy);
        }
        finally
        {
            await StopAsync(app, client);
        }

        // A simulator started on that copy (as after a crash) has the address and the deposit.
        var (fromCopy, copyClient) = await StartAsync(copy);
        try
        {
            var processor = fromCopy.Services.GetRequiredService<ProcessorState>();
            Assert.Equal([address], processor.GetAddresses("orders"));
            Assert.Equal("42", Assert.Single(processor.GetDeposits()).Amount.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(HttpStatusCode.OK, (await copyClient.GetAsync("/v1/deposit/income?tx_hash=saved-early")).StatusCode);
        }
        finally
        {
            await StopAsync(fromCopy, copyClient);
        }
    }

    [Theory]
    [InlineData("{\"format\": \"theopenmoney-simulator-processor-state\", \"version\": 1, \"next_seq")]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"format\":\"something-else\",\"version\":1,\"next_sequence\":0,\"lag_seconds\":0,\"addresses\":[],\"deposits\":[],\"withdrawals\":[]}")]
    [InlineData("{\"format\":\"theopenmoney-simulator-processor-state\",\"version\":2,\"next_sequence\":0,\"lag_seconds\":0,\"addresses\":[],\"deposits\":[],\"withdrawals\":[]}")]
    [InlineData("{\"format\":\"theopenmoney-simulator-processor-state\",\"version\":1,\"next_sequence\":0,\"lag_seconds\":0,\"addresses\":[],\"withdrawals\":[]}")]
    [InlineData("{\"format\":\"theopenmoney-simulator-processor-state\",\"version\":1,\"next_sequence\":1,\"lag_seconds\":0,\"addresses\":[],\"deposits\":[{\"sequence\":1,\"user_id\":\"orders\",\"time\":1,\"tx_hash\":\"h\",\"pushed\":false,\"deposit_address\":\"UQBJ6gU8gh_jRrzYDlfw9cpCwHaSn2mrK4O-1h8CDENehGYJ\",\"amount\":\"5\"}],\"withdrawals\":[]}")]
    [InlineData("{\"format\":\"theopenmoney-simulator-processor-state\",\"version\":1,\"next_sequence\":0,\"lag_seconds\":0,\"addresses\":[{\"user_id\":\"orders\",\"address\":\"UQBJ6gU8gh_jRrzYDlfw9cpCwHaSn2mrK4O-1h8CDENehGYJ\"}],\"deposits\":[{\"sequence\":1,\"user_id\":\"orders\",\"time\":1,\"tx_hash\":\"h\",\"pushed\":false,\"deposit_address\":\"UQBJ6gU8gh_jRrzYDlfw9cpCwHaSn2mrK4O-1h8CDENehGYJ\",\"amount\":\"-5\"}],\"withdrawals\":[]}")]
    public async Task A_state_file_that_cannot_be_loaded_fails_start_up_naming_it_and_is_left_alone(string content)
    {
        Directory.CreateDirectory(_folder);
        var file = Path.Combine(_folder, "processor.json");
        await File.WriteAllTextAsync(file, content);

        var error = await Assert.ThrowsAsync<SimulatorStateFileException>(async () =>
        {
            var app = SimulatorApp.Create(["--urls", "http://127.0.0.1:0"], o => o.StateFile = file);
            await app.StartAsync();
            await app.StopAsync();
            await app.DisposeAsync();
        });

        Assert.Equal(file, error.Path);
        Assert.Contains($"'{file}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(file));
        Assert.Equal([file], Directory.GetFiles(_folder));
    }

    private async Task<(WebApplication App, HttpClient Client)> StartAsync(string file)
    {
        var host = await SimulatorHost.StartAsync(Token, o =>
        {
            o.StateFile = file;
            o.WebhookEndpoint = _hook.Url + "/hook";
            o.WebhookToken = HookToken;
            // What survives a restart is compared before and after it: a withdrawal must not move on meanwhile
            // (it would after 1 s, and a restart on a busy machine can take longer).
            o.WithdrawalStepSeconds = 3600;
        });
        return (host.App, host.Client);
    }

    private static async Task StopAsync(WebApplication app, HttpClient client)
    {
        client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>Every read answer whose bytes must not change across a restart, keyed by URL.</summary>
    private static async Task<Dictionary<string, string>> ReadEverythingAsync(HttpClient client, params string[] txHashes)
    {
        var urls = new List<string>
        {
            "/v1/address/all?user_id=orders",
            "/v1/address/all?user_id=topups",
            "/v1/income?user_id=orders",
            "/v1/income?user_id=topups",
            "/v1/deposit/income?tx_hash=raw-one",
            "/v1/deposit/income?tx_hash=raw-two",
            "/v1/withdrawal/status?id=1",
            "/v1/balance?currency=TON",
        };
        urls.AddRange(txHashes.Select(h => $"/v1/deposit/income?tx_hash={h}"));
        foreach (var user in new[] { "orders", "topups" })
        {
            urls.Add($"/v1/deposit/history?user_id={user}&currency=TON&limit=1000&offset=0&sort_order=asc");
            urls.Add($"/v1/deposit/history?user_id={user}&currency=TON&limit=2&offset=1");
        }

        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var url in urls)
        {
            var response = await client.GetAsync(url);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {text}");
            answers[url] = text;
        }

        return answers;
    }

    private static async Task<string> NewAddressAsync(HttpClient client, string userId)
    {
        var response = await client.PostAsJsonAsync("/v1/address/new", new { user_id = userId, currency = "TON" });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("address").GetString()!;
    }

    private static async Task<string> DepositAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/_sim/deposits", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("tx_hash").GetString()!;
    }

    private static async Task<JsonElement> RawAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/_sim/deposits/raw", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}

using System.Globalization;
using System.Net.Http.Json;
using TheOpenMoney.Api.Ton;
using Npgsql;

namespace TheOpenMoney.Tests.MoneyOut;

/// <summary>
/// Money out survives SIGKILL at both dangerous points and never pays twice: the API as a real process sends a
/// refund through the simulator and is killed (a) after its intent is committed but before the processor stored
/// the withdrawal, and (b) after the processor stored it but before its answer reached us. Started again, it asks
/// once more with the same query_id: in (a) the processor takes it, in (b) it refuses the duplicate, which is
/// recorded as sent and its processor id then found by its query_id. Either way the processor holds exactly one
/// withdrawal for the deposit.
/// </summary>
public sealed class MoneyOutCrashTests : IAsyncLifetime
{
    private const string Sender = "UQCdyiS-fIV9UVfI9Phswo4l2MA-hm8YseHynZ_YiH9Y1j8U";

    private ApiProcessHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiProcessHost.StartAsync(o => o.WithdrawalStepSeconds = 0);
        _host.Environment["PaymentProcessor__PollInterval"] = "00:00:00.200";
        _host.Environment["Refunds__Grace"] = "00:00:00";
        _host.Environment["Withdrawals__EngineInterval"] = "00:00:00.200";
        _host.Environment["Withdrawals__StatusCheckInterval"] = "00:00:00.200";
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<long> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(_host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    private async Task<List<JsonElement>> ProcessorWithdrawalsAsync() =>
        [.. JsonDocument.Parse(await _host.Sim.GetStringAsync("/_sim/withdrawals")).RootElement.GetProperty("withdrawals").EnumerateArray()];

    private async Task<string> UnmatchedDepositAsync(decimal ton)
    {
        var response = await _host.Sim.PostAsJsonAsync("/_sim/deposits", new
        {
            user_id = "orders",
            amount = TonAmount.ToNano(ton).ToString(CultureInfo.InvariantCulture),
            comment = "no memo here",
            source_address = Sender,
        });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("tx_hash").GetString()!;
    }

    [Fact]
    public async Task Killed_after_the_processor_stored_the_refund_but_before_its_answer_the_refund_is_sent_exactly_once()
    {
        await (await _host.Sim.PostAsJsonAsync("/_sim/withdrawals", new { answer_delay_ms = 60_000 })).Content.ReadAsStringAsync();
        var first = await ApiProcess.StartAsync(_host.Environment);
        var txHash = await UnmatchedDepositAsync(1m);
        await Eventually.WaitAsync(ProcessorWithdrawalsAsync, list => list.Count == 1, "the processor stored the refund", 60);
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM withdrawals WHERE status = 'sent'"));

        await first.KillAsync();
        await first.DisposeAsync();
        (await _host.Sim.PostAsJsonAsync("/_sim/withdrawals", new { answer_delay_ms = 0 })).EnsureSuccessStatusCode();
        await using (await ApiProcess.StartAsync(_host.Environment))
        {
            // Asked again, the processor refuses the duplicate query_id: recorded as sent, its id then found by its
            // query_id among the processor's withdrawals, and followed to the end.
            await Eventually.WaitAsync(
                () => ScalarAsync("SELECT count(*) FROM withdrawals WHERE status = 'completed' AND NOT processor_id_unknown"),
                n => n == 1,
                "the refund completed after its processor id was found",
                60);
        }

        var held = await ProcessorWithdrawalsAsync();
        var refund = Assert.Single(held);
        Assert.Equal("990000000", refund.GetProperty("amount").GetString());
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM withdrawals"));
        Assert.Equal(2, await ScalarAsync("SELECT processor_calls FROM withdrawals"));
        Assert.Equal(refund.GetProperty("id").GetInt64(), await ScalarAsync("SELECT processor_id FROM withdrawals"));
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM deposits WHERE tx_hash = $1 AND decision = 'refunded'", txHash));
    }

    [Fact]
    public async Task A_usdt_refund_killed_after_the_processor_stored_it_but_before_its_answer_is_sent_exactly_once_in_usdt()
    {
        // A jetton refund is paid from the USDT swept into the hot wallet: swept at once here.
        (await _host.Sim.PostAsJsonAsync("/_sim/withdrawals", new { answer_delay_ms = 60_000, sweep_delay_seconds = 0 })).EnsureSuccessStatusCode();
        var first = await ApiProcess.StartAsync(_host.Environment);
        // A USDT order makes the USDT orders address, so the poller reads the (orders, USDT) history.
        var (exit, key, error) = await ApiProcess.RunCliAsync(_host.Environment, "keys", "create", "--telegram-user-id", "424242");
        Assert.True(exit == 0, error);
        using (var partner = new HttpClient { BaseAddress = new Uri(first.Url) })
        {
            partner.DefaultRequestHeaders.Authorization = new("Bearer", key.Trim());
            var created = await partner.PostAsJsonAsync("/api/v1/orders/stars", new { recipient_username = "pandus", quantity = 100, payment_currency = "USDT" });
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        var deposit = await _host.Sim.PostAsJsonAsync("/_sim/deposits", new { user_id = "orders", currency = "USDT", amount = "5000000", comment = "no memo here", source_address = Sender });
        deposit.EnsureSuccessStatusCode();
        var txHash = JsonDocument.Parse(await deposit.Content.ReadAsStringAsync()).RootElement.GetProperty("tx_hash").GetString()!;
        await Eventually.WaitAsync(ProcessorWithdrawalsAsync, list => list.Count == 1, "the processor stored the USDT refund", 60);

        await first.KillAsync();
        await first.DisposeAsync();
        (await _host.Sim.PostAsJsonAsync("/_sim/withdrawals", new { answer_delay_ms = 0 })).EnsureSuccessStatusCode();
        await using (await ApiProcess.StartAsync(_host.Environment))
        {
            await Eventually.WaitAsync(
                () => ScalarAsync("SELECT count(*) FROM withdrawals WHERE status = 'completed' AND NOT processor_id_unknown AND currency = 'USDT'"),
                n => n == 1,
                "the USDT refund completed after its processor id was found",
                60);
        }

        var refund = Assert.Single(await ProcessorWithdrawalsAsync());
        Assert.Equal("USDT", refund.GetProperty("currency").GetString());
        Assert.Equal("4700000", refund.GetProperty("amount").GetString());
        Assert.Equal("processed", refund.GetProperty("status").GetString());
        Assert.Equal(2, await ScalarAsync("SELECT processor_calls FROM withdrawals"));
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM deposits WHERE tx_hash = $1 AND decision = 'refunded' AND currency = 'USDT'", txHash));
    }

    [Fact]
    public async Task Killed_after_committing_the_intent_but_before_the_processor_stored_it_the_refund_is_sent_once_on_restart()
    {
        (await _host.Sim.PostAsJsonAsync("/_sim/withdrawals", new { accept_delay_ms = 60_000 })).EnsureSuccessStatusCode();
        var first = await ApiProcess.StartAsync(_host.Environment);
        await UnmatchedDepositAsync(2m);
        await Eventually.WaitAsync(
            () => ScalarAsync("SELECT count(*) FROM withdrawals WHERE status = 'pending' AND processor_calls >= 1"),
            n => n == 1,
            "the refund's intent committed and asked of the processor",
            60);

        await first.KillAsync();
        await first.DisposeAsync();
        await Task.Delay(200); // the simulator notices its caller is gone (the connection reset) and stores nothing
        Assert.Empty(await ProcessorWithdrawalsAsync());
        (await _host.Sim.PostAsJsonAsync("/_sim/withdrawals", new { accept_delay_ms = 0 })).EnsureSuccessStatusCode();
        await using (await ApiProcess.StartAsync(_host.Environment))
        {
            await Eventually.WaitAsync(
                () => ScalarAsync("SELECT count(*) FROM withdrawals WHERE status = 'completed'"),
                n => n == 1,
                "the refund sent and completed after the restart",
                60);
        }

        var refund = Assert.Single(await ProcessorWithdrawalsAsync());
        Assert.Equal("1990000000", refund.GetProperty("amount").GetString());
        Assert.Equal("processed", refund.GetProperty("status").GetString());
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM withdrawals WHERE processor_id_unknown"));
    }
}

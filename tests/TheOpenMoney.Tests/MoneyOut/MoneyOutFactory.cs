using System.Globalization;
using System.Net.Http.Json;
using TheOpenMoney.Api.Ton;
using Npgsql;
using TheOpenMoney.Api.MoneyOut;
using TheOpenMoney.Api.Orders;
using TheOpenMoney.Simulators;
using TheOpenMoney.Tests.Telegram;

namespace TheOpenMoney.Tests.MoneyOut;

/// <summary>
/// The payments host with money out on: the processor simulator (withdrawals move at each look), a fake Bot API
/// for the Telegram confirmations, one hand-moved clock shared by the API and the simulator, and the engine and
/// the reconciliation driven by the test (their own loops wait an hour).
/// </summary>
public class MoneyOutFactory : PaymentsFactory
{
    public const string Sender = "UQCdyiS-fIV9UVfI9Phswo4l2MA-hm8YseHynZ_YiH9Y1j8U";

    public MoneyOutFactory()
    {
        Clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
    }

    public FakeBotApi Bot { get; private set; } = null!;

    public ManualTimeProvider ManualClock => Clock!;

    public override async Task InitializeAsync()
    {
        Bot = await FakeBotApi.StartAsync(BotFactory.Token);
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Bot.DisposeAsync();
    }

    protected override void ConfigureSimulator(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.WithdrawalStepSeconds = 0;
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Telegram:BotToken"] = BotFactory.Token;
        settings["Telegram:ApiBaseUrl"] = Bot.Url;
        settings["Telegram:Mode"] = "Polling";
        settings["Telegram:LongPollTimeout"] = "00:00:01";
        settings["Telegram:RetryBaseDelay"] = "00:00:00.050";
        settings["Telegram:MaxRetryDelay"] = "00:00:00.400";
        settings["Telegram:OperatorChatIds"] = "777000, not-a-chat";
        settings["Withdrawals:EngineInterval"] = "01:00:00";
        settings["Withdrawals:StatusCheckInterval"] = "00:00:00";
        settings["Reconciliation:Interval"] = "01:00:00";
        settings["Refunds:Grace"] = "01:00:00";
    }

    /// <summary>One run of the money-out engine (through its real runner: the leader lock, a fresh scope).</summary>
    public async Task EngineAsync()
    {
        Assert.True(await Jobs.RunOnceAsync<WithdrawalEngine>(Services), "this instance should lead the withdrawal engine");
    }

    public async Task<ReconciliationReport> ReconcileAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Reconciler>().RunAsync(CancellationToken.None);
    }

    public async Task ControlWithdrawalsAsync(object control) =>
        (await Sim.PostAsJsonAsync("/_sim/withdrawals", control)).EnsureSuccessStatusCode();

    /// <summary>Every withdrawal the simulated processor holds.</summary>
    public async Task<List<JsonElement>> ProcessorWithdrawalsAsync() =>
        [.. JsonDocument.Parse(await Sim.GetStringAsync("/_sim/withdrawals")).RootElement.GetProperty("withdrawals").EnumerateArray()];

    /// <summary>A deposit to the orders address from <paramref name="source"/> with a comment that is no memo: applied as unmatched.</summary>
    public async Task<string> UnmatchedDepositAsync(decimal ton, string? source = Sender, string comment = "thanks!")
    {
        await EnsureOrdersAddressAsync("TON");
        var body = new Dictionary<string, object?> { ["user_id"] = "orders", ["comment"] = comment };
        if (source is not null)
        {
            body["source_address"] = source;
        }

        return await DepositAndPollAsync("TON", TonAmount.ToNano(ton), body);
    }

    /// <summary>A USDT deposit of <paramref name="units"/> injected into the simulator and read by one poll; its tx_hash.</summary>
    public Task<string> UsdtDepositAsync(long units, Dictionary<string, object?> target) => DepositAndPollAsync("USDT", units, target);

    /// <summary>A USDT deposit of <paramref name="units"/> to the USDT orders address from <see cref="Sender"/> with no memo: applied as unmatched.</summary>
    public async Task<string> UnmatchedUsdtAsync(long units)
    {
        await EnsureOrdersAddressAsync("USDT");
        return await UsdtDepositAsync(units, new() { ["user_id"] = "orders", ["comment"] = "thanks!", ["source_address"] = Sender });
    }

    /// <summary>The orders address of <paramref name="currency"/> exists once anything asked for it (the first order, or the poller's first run).</summary>
    private async Task EnsureOrdersAddressAsync(string currency)
    {
        using var scope = Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<IOrderPaymentAddress>().GetOrdersAddressAsync(currency, CancellationToken.None);
    }

    /// <summary>A deposit of <paramref name="units"/> of <paramref name="currency"/> to <paramref name="target"/> (user_id or deposit_address, and the rest), dated a second ago, read by one poll; its tx_hash.</summary>
    private async Task<string> DepositAndPollAsync(string currency, long units, Dictionary<string, object?> target)
    {
        if (currency != "TON")
        {
            target["currency"] = currency;
        }

        target["amount"] = units.ToString(CultureInfo.InvariantCulture);
        target["time"] = ManualClock.GetUtcNow().ToUnixTimeSeconds() - 1;
        var response = await Sim.PostAsJsonAsync("/_sim/deposits", target);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        await PollAsync();
        return JsonDocument.Parse(text).RootElement.GetProperty("tx_hash").GetString()!;
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}

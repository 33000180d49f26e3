using TheOpenMoney.Api.Ton;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using TheOpenMoney.Api.Payments;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// The real API on a real Kestrel port (so the simulator can push webhooks to it) and the real
/// processor simulator on another, both on 127.0.0.1. Polls are driven by hand (the hosted poller's
/// interval is long) unless a subclass shortens <see cref="PollInterval"/>. A subclass that sets
/// <see cref="ApiFactory.Clock"/> moves the simulator's clock with the API's (deposit times, what the
/// processor has scanned): order expiry is then a matter of moving the clock, not of waiting.
/// </summary>
public class PaymentsFactory : ApiFactory
{
    public const string ProcessorToken = "sim-token";
    public const string WebhookToken = "hook-token";

    public WebApplication Simulator { get; private set; } = null!;

    public HttpClient Sim { get; private set; } = null!;

    public ProcessorState Processor => Simulator.Services.GetRequiredService<ProcessorState>();

    public string ApiUrl => ClientOptions.BaseAddress.ToString().TrimEnd('/');

    protected virtual string PollInterval => "00:10:00";

    /// <summary>Adjusts the simulator's settings before it starts.</summary>
    protected virtual void ConfigureSimulator(SimulatorOptions options)
    {
    }

    protected virtual string OrderTtl => "00:15:00";

    public override async Task InitializeAsync()
    {
        Simulator = SimulatorApp.Create(["--urls", "http://127.0.0.1:0"], o =>
        {
            o.ApiToken = ProcessorToken;
            o.Clock = Clock;
            ConfigureSimulator(o);
        });
        await Simulator.StartAsync();
        Sim = new HttpClient { BaseAddress = new Uri(Simulator.Urls.Single()) };
        UseKestrel(0);
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Sim.Dispose();
        await Simulator.StopAsync();
        await Simulator.DisposeAsync();
    }

    /// <summary>One poll of the processor by the real poller and its sibling jobs; fails the test when this instance is not the poll leader.</summary>
    public async Task PollAsync()
    {
        Assert.True(await PollRoundAsync(), "this instance should be the poll leader");
    }

    /// <summary>
    /// One round of the deposit jobs, each through its real runner (leadership, fresh scope): the poll,
    /// the stored-deposit recovery and the expiry sweep. False when another instance leads the poll.
    /// The poll's failure (deposits not settled yet, say) is thrown after the other two have run.
    /// </summary>
    public async Task<bool> PollRoundAsync()
    {
        bool polled;
        Exception? pollFailure = null;
        try
        {
            polled = await Jobs.RunOnceAsync<DepositPoller>(Services);
        }
        catch (Exception ex) when (ex is DepositsNotSettledException)
        {
            polled = true;
            pollFailure = ex;
        }

        await Jobs.RunOnceAsync<StoredDepositRecovery>(Services);
        await Jobs.RunOnceAsync<OrderExpiry>(Services);
        if (pollFailure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(pollFailure);
        }

        return polled;
    }

    /// <summary>Injects a deposit at the simulator over HTTP; returns its tx_hash.</summary>
    public async Task<string> DepositAsync(decimal ton, string? comment = null, string? userId = "orders", string? address = null, long? time = null, string? txHash = null, bool duplicate = false)
    {
        var body = new Dictionary<string, object?> { ["amount"] = TonAmount.ToNano(ton).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (address is not null)
        {
            body["deposit_address"] = address;
        }
        else
        {
            body["user_id"] = userId;
        }

        if (comment is not null)
        {
            body["comment"] = comment;
        }

        if (time is not null)
        {
            body["time"] = time;
        }

        if (txHash is not null)
        {
            body["tx_hash"] = txHash;
        }

        if (duplicate)
        {
            body["duplicate"] = true;
        }

        var response = await Sim.PostAsJsonAsync("/_sim/deposits", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"simulator refused the deposit: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("tx_hash").GetString()!;
    }

    /// <summary>
    /// Injects a raw row (POST /_sim/deposits/raw): <paramref name="income"/> is served verbatim in
    /// <paramref name="userId"/>'s history, by <paramref name="txHash"/> when given, and pushed to the webhook
    /// (<paramref name="webhookBody"/>, else the income text). Returns the row's sequence.
    /// </summary>
    public async Task<long> RawDepositAsync(string income, string? txHash = null, string userId = "orders", string? webhookBody = null)
    {
        var body = new Dictionary<string, object?> { ["user_id"] = userId, ["income"] = income };
        if (txHash is not null)
        {
            body["tx_hash"] = txHash;
        }

        if (webhookBody is not null)
        {
            body["webhook_body"] = webhookBody;
        }

        var response = await Sim.PostAsJsonAsync("/_sim/deposits/raw", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"simulator refused the raw row: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("sequence").GetInt64();
    }

    public async Task SetLagAsync(int seconds) => (await Sim.PostAsJsonAsync("/_sim/lag", new { seconds })).EnsureSuccessStatusCode();

    public async Task FailNextAsync(int count, int status = 500) =>
        (await Sim.PostAsJsonAsync("/_sim/fail", new { count, status })).EnsureSuccessStatusCode();

    public async Task EnableWebhookAsync(string token = WebhookToken) =>
        (await Sim.PostAsJsonAsync("/_sim/webhook", new { endpoint = ApiUrl + "/internal/processor/webhook", token })).EnsureSuccessStatusCode();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings.Remove("Payments:OrdersAddress");
        settings["PaymentProcessor:BaseUrl"] = Simulator.Urls.Single();
        settings["PaymentProcessor:ApiToken"] = ProcessorToken;
        settings["PaymentProcessor:WebhookToken"] = WebhookToken;
        settings["PaymentProcessor:PollInterval"] = PollInterval;
        settings["PaymentProcessor:PageSize"] = "50";
        settings["PaymentProcessor:Http:RetryBaseDelay"] = "00:00:00.020";
        settings["PaymentProcessor:Http:CircuitFailureRatio"] = "0";
        settings["Orders:Ttl"] = OrderTtl;
    }
}

/// <summary>Waits for a condition with a bound (no timing is asserted: the bound only stops a hung test).</summary>
public static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"gave up waiting for {what}");
            }

            await Task.Delay(25);
        }
    }
}

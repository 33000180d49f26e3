using Microsoft.AspNetCore.Builder;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// What a test of the API as a real process (<see cref="ApiProcess"/>) runs against: the processor simulator in
/// this test process on 127.0.0.1, a fresh database, and the API's environment pointing at both, to which the
/// test adds its own settings. Disposing stops the simulator.
/// </summary>
public sealed class ApiProcessHost : IAsyncDisposable
{
    private readonly WebApplication _simulator;

    private ApiProcessHost(WebApplication simulator, string connectionString)
    {
        _simulator = simulator;
        ConnectionString = connectionString;
        Sim = new HttpClient { BaseAddress = new Uri(simulator.Urls.Single()) };
        Environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["ApiKeys__Pepper"] = ApiFactory.Pepper,
            ["Webhooks__SecretKey"] = ApiFactory.WebhookSecretKey,
            ["Pricing__TonUsdRate"] = "3.6",
            ["PaymentProcessor__BaseUrl"] = simulator.Urls.Single(),
            ["PaymentProcessor__ApiToken"] = PaymentsFactory.ProcessorToken,
        };
    }

    /// <summary>The simulator's control and processor routes.</summary>
    public HttpClient Sim { get; }

    public string ConnectionString { get; }

    /// <summary>The API process's environment.</summary>
    public Dictionary<string, string> Environment { get; }

    public static async Task<ApiProcessHost> StartAsync(Action<SimulatorOptions>? configure = null)
    {
        var simulator = SimulatorApp.Create(["--urls", "http://127.0.0.1:0"], o =>
        {
            o.ApiToken = PaymentsFactory.ProcessorToken;
            configure?.Invoke(o);
        });
        await simulator.StartAsync();
        return new ApiProcessHost(simulator, await (await PostgresServer.GetAsync()).CreateDatabaseAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Sim.Dispose();
        await _simulator.StopAsync();
        await _simulator.DisposeAsync();
    }
}

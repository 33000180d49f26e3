using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.Support;

/// <summary>The simulators' app on a free loopback port with a client that presents its token, and its shutdown.</summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private SimulatorHost(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public WebApplication App { get; }

    /// <summary>Sends <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public HttpClient Client { get; }

    public ProcessorState Processor => App.Services.GetRequiredService<ProcessorState>();

    /// <param name="token">The processor API token (<c>Simulator:ApiToken</c>).</param>
    /// <param name="configure">More settings, after the token.</param>
    /// <param name="settings">Configuration as an operator would give it (<c>Simulator:Currencies:0=TON</c>).</param>
    public static async Task<SimulatorHost> StartAsync(string token, Action<SimulatorOptions>? configure = null, params string[] settings)
    {
        var app = SimulatorApp.Create(
            ["--urls", "http://127.0.0.1:0", .. settings.Select(s => "--" + s)],
            o =>
            {
                o.ApiToken = token;
                configure?.Invoke(o);
            });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new SimulatorHost(app, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using TheOpenMoney.Api.Partners;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// The real API on a fresh database of its own (migrations applied by the app at start-up).
/// Subclasses change settings or services for one test class.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string Pepper = "test-pepper-which-is-long-enough-0123456789";

    /// <summary>Base64 of 32 bytes: the key that encrypts webhook secrets in tests.</summary>
    public const string WebhookSecretKey = "dGVzdC13ZWJob29rLXNlY3JldC1rZXktMzItYnl0ZXM=";

    public const string OrdersAddress = "UQC2Ttw51lkpMeynPSb5YeHKMu152koHzptMpy6mAVDO9y6F";

    public string ConnectionString { get; private set; } = "";

    public CapturingLogSink Logs { get; } = new();

    /// <summary>When set, replaces the system clock for the whole app.</summary>
    public ManualTimeProvider? Clock { get; protected init; }

    public virtual async Task InitializeAsync()
    {
        var server = await PostgresServer.GetAsync();
        ConnectionString = await server.CreateDatabaseAsync();
        _ = Services; // builds and starts the host: runs the migrator
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <summary>Issues a key the way the CLI and the bot do.</summary>
    public async Task<PartnerKeyService.IssuedKey> IssueKeyAsync(long telegramUserId, string? username = null, bool livemode = true)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PartnerKeyService>().IssueAsync(telegramUserId, username, livemode, CancellationToken.None);
    }

    public HttpClient CreateClient(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Settings layered over appsettings.json for this factory.</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ConnectionStrings:Postgres"] = ConnectionString,
            ["ApiKeys:Pepper"] = Pepper,
            ["RateLimiting:PerKeyPerMinute"] = "100000",
            ["RateLimiting:OrderCreationPerKeyPerMinute"] = "100000",
            ["RateLimiting:FailedAuthPerIpPerMinute"] = "100000",
            ["Pricing:TonUsdRate"] = "3.6",
            ["Webhooks:SecretKey"] = WebhookSecretKey,
            // Test receivers listen on 127.0.0.1 over http; the SSRF tests turn these off.
            ["Webhooks:AllowInsecureUrls"] = "true",
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Payments:OrdersAddress"] = OrdersAddress,
            // Delivery is driven by the fulfillment tests themselves; elsewhere paid orders stay paid.
            ["Fulfillment:Enabled"] = "false",
            // The console stays quiet in tests; every line still reaches Logs.
            ["Logging:ConsoleMinimumLevel"] = "Critical",
            // No management port per test host (the metrics test turns one on, on a free port).
            ["Management:Urls"] = "",
        };
        Configure(settings);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services =>
        {
            services.AddSingleton<Serilog.Core.ILogEventSink>(Logs);
            services.AddControllers().AddApplicationPart(typeof(ApiFactory).Assembly);
            if (Clock is not null)
            {
                services.AddSingleton<TimeProvider>(Clock);
            }

            ConfigureTestServices(services);
        });
    }
}

/// <summary>Reads the envelope of a response.</summary>
public static class EnvelopeExtensions
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts the error envelope and returns it.</summary>
    public static async Task<JsonElement> AssertErrorAsync(this HttpResponseMessage response, int status, string errorCode)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status} {errorCode}, got {(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString() ?? "", StringComparison.Ordinal);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement.Clone();
        Assert.False(root.GetProperty("ok").GetBoolean());
        Assert.Equal(errorCode, root.GetProperty("error_code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("error_message").GetString()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("data").ValueKind);
        return root;
    }

    /// <summary>An exact base-unit twin (a string of digits, such as <c>amount_units</c> or <c>price_usdt_units</c>) as a number.</summary>
    public static long UnitsOf(this JsonElement element, string name) =>
        long.Parse(element.GetProperty(name).GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Asserts a 200 success envelope and returns its <c>data</c>.</summary>
    public static async Task<JsonElement> AssertOkAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 200, $"expected 200, got {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement.Clone();
        Assert.True(root.GetProperty("ok").GetBoolean());
        return root.GetProperty("data");
    }
}

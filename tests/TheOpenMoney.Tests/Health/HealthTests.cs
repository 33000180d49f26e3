namespace TheOpenMoney.Tests.Health;

public sealed class HealthTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Health_needs_no_key_and_reports_the_database_and_room_for_processor_and_bot()
    {
        var data = await (await factory.CreateClient().GetAsync("/api/v1/health")).AssertOkAsync();

        Assert.Equal("ok", data.GetProperty("status").GetString());
        var components = data.GetProperty("components");
        Assert.Equal("ok", components.GetProperty("database").GetProperty("status").GetString());
        Assert.True(components.GetProperty("database").GetProperty("latency_ms").GetDouble() >= 0);
        Assert.True(components.TryGetProperty("payment_processor", out _));
        Assert.True(components.TryGetProperty("bot", out _));
    }
}

public sealed class HealthWithDatabaseDownTests(HealthWithDatabaseDownTests.Factory factory) : IClassFixture<HealthWithDatabaseDownTests.Factory>
{
    /// <summary>Points at a loopback port where no database listens, and skips start-up migrations.</summary>
    public sealed class Factory : ApiFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=2";
            settings["Database:MigrateOnStartup"] = "false";
        }
    }

    [Fact]
    public async Task Database_down_is_503_service_unavailable()
    {
        var response = await factory.CreateClient().GetAsync("/api/v1/health");

        await response.AssertErrorAsync(503, ErrorCodes.ServiceUnavailable);
        Assert.True(response.Headers.Contains("Retry-After"));
    }
}

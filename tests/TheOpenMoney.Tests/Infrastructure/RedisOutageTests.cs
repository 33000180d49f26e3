using System.Diagnostics;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>The limits counted in Redis, and Redis goes away: keyed requests answer 503 within a bound (never hang, never 500), and work again once it is back.</summary>
public sealed class RedisOutageTests(RedisOutageTests.Factory factory) : IClassFixture<RedisOutageTests.Factory>
{
    public sealed class Factory : SettingsFactory
    {
        public RedisServer Redis { get; set; } = null!;

        public override async Task InitializeAsync()
        {
            Redis = await RedisServer.StartAsync();
            Settings["Redis:Configuration"] = Redis.Configuration;
            // A fresh lease on every request, so each one asks Redis.
            Settings["RateLimiting:LeaseBatchMax"] = "1";
            await base.InitializeAsync();
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await Redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_redis_keyed_requests_are_503_within_a_bound_and_recover_when_it_returns()
    {
        var issued = await factory.IssueKeyAsync(TestPartners.NextTelegramUserId());
        var client = factory.CreateClient(issued.Plaintext);
        await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();

        var port = factory.Redis.Port;
        await factory.Redis.DisposeAsync();
        var clock = Stopwatch.StartNew();
        var down = await client.GetAsync("/api/v1/partner");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        await down.AssertErrorAsync(503, ErrorCodes.ServiceUnavailable);
        Assert.NotNull(down.Headers.RetryAfter);

        factory.Redis = await RedisServer.StartAsync(port);
        await Eventually.WaitAsync(async () => (await client.GetAsync("/api/v1/partner")).StatusCode, s => s == HttpStatusCode.OK, "requests to work again with Redis back");
    }
}

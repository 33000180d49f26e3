using System.Net;
using TheOpenMoney.Api.Infrastructure.Errors;
using TheOpenMoney.Tests.Support;

namespace TheOpenMoney.Tests.Infrastructure;

public sealed class RateLimitTests(RateLimitTests.Factory factory) : IClassFixture<RateLimitTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings["RateLimiting:PerKeyPerMinute"] = "5";
            settings["RateLimiting:OrderCreationPerKeyPerMinute"] = "2";
        }
    }

    [Fact]
    public async Task Requests_over_the_per_key_limit_get_429_with_retry_after()
    {
        var client = factory.CreateClient((await factory.IssueKeyAsync(8001)).Plaintext);
        for (var i = 0; i < 5; i++)
        {
            await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();
        }

        var limited = await client.GetAsync("/api/v1/partner");

        await limited.AssertErrorAsync(429, ErrorCodes.RateLimited);
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
    }

    [Fact]
    public async Task The_limit_is_per_key_not_global()
    {
        var first = factory.CreateClient((await factory.IssueKeyAsync(8002)).Plaintext);
        var second = factory.CreateClient((await factory.IssueKeyAsync(8003)).Plaintext);
        for (var i = 0; i < 5; i++)
        {
            await first.GetAsync("/api/v1/partner");
        }

        Assert.Equal((HttpStatusCode)429, (await first.GetAsync("/api/v1/partner")).StatusCode);
        await (await second.GetAsync("/api/v1/partner")).AssertOkAsync();
    }

    [Fact]
    public async Task Order_creation_policy_is_tighter_than_the_overall_limit()
    {
        var client = factory.CreateClient((await factory.IssueKeyAsync(8004)).Plaintext);

        await (await client.PostAsync("/api/v1/_test/limited", null)).AssertOkAsync();
        await (await client.PostAsync("/api/v1/_test/limited", null)).AssertOkAsync();
        await (await client.PostAsync("/api/v1/_test/limited", null)).AssertErrorAsync(429, ErrorCodes.RateLimited);
        await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();
    }
}

/// <summary>Its own factory: once this test blocks the (shared) test client address, nothing else could authenticate.</summary>
public sealed class FailedAuthRateLimitTests(FailedAuthRateLimitTests.Factory factory) : IClassFixture<FailedAuthRateLimitTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        protected override void Configure(IDictionary<string, string?> settings) =>
            settings["RateLimiting:FailedAuthPerIpPerMinute"] = "3";
    }

    [Fact]
    public async Task Failed_authentications_are_limited_per_ip_and_then_no_key_is_checked()
    {
        // TestServer requests share one (empty) client address, so this class's failures all count together.
        var valid = await factory.IssueKeyAsync(8005);
        var attacker = factory.CreateClient("osk_0000000000000000000000000000000000000000000");
        for (var i = 0; i < 3; i++)
        {
            await (await attacker.GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        }

        var blocked = await attacker.GetAsync("/api/v1/partner");
        await blocked.AssertErrorAsync(429, ErrorCodes.RateLimited);
        Assert.True(blocked.Headers.Contains("Retry-After"));
        await (await factory.CreateClient(valid.Plaintext).GetAsync("/api/v1/partner")).AssertErrorAsync(429, ErrorCodes.RateLimited);
    }
}

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
        var client = factory.CreateClient((await factory.IssueKeyAsync(TestPartners.NextTelegramUserId())).Plaintext);
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
        var first = factory.CreateClient((await factory.IssueKeyAsync(TestPartners.NextTelegramUserId())).Plaintext);
        var second = factory.CreateClient((await factory.IssueKeyAsync(TestPartners.NextTelegramUserId())).Plaintext);
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
        var client = factory.CreateClient((await factory.IssueKeyAsync(TestPartners.NextTelegramUserId())).Plaintext);

        await (await client.PostAsync("/api/v1/_test/limited", null)).AssertOkAsync();
        await (await client.PostAsync("/api/v1/_test/limited", null)).AssertOkAsync();
        await (await client.PostAsync("/api/v1/_test/limited", null)).AssertErrorAsync(429, ErrorCodes.RateLimited);
        await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();
    }
}

/// <summary>Its own factory: TestServer requests share one (empty) client address, so this class's failures all count together.</summary>
public sealed class FailedAuthRateLimitTests(FailedAuthRateLimitTests.Factory factory) : IClassFixture<FailedAuthRateLimitTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        protected override void Configure(IDictionary<string, string?> settings) =>
            settings["RateLimiting:FailedAuthPerIpPerMinute"] = "3";
    }

    [Fact]
    public async Task Failed_authentications_are_limited_per_address_but_a_valid_key_from_it_still_passes()
    {
        var valid = await factory.IssueKeyAsync(TestPartners.NextTelegramUserId());
        var attacker = factory.CreateClient("osk_0000000000000000000000000000000000000000000");
        for (var i = 0; i < 3; i++)
        {
            await (await attacker.GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        }

        for (var i = 0; i < 40; i++)
        {
            var blocked = await attacker.GetAsync("/api/v1/partner");
            await blocked.AssertErrorAsync(429, ErrorCodes.RateLimited);
            var retryAfter = int.Parse(blocked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 60);
        }

        // The same address, another partner's valid key: never refused for the failures of others.
        await (await factory.CreateClient(valid.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();
    }
}

/// <summary>
/// Limits taken together or not at all, the IETF draft headers, and a Retry-After that tells the real wait, on a
/// manual clock: time inside a window passes when a test moves it.
/// </summary>
public sealed class RateLimitAccountingTests(RateLimitAccountingTests.Factory factory) : IClassFixture<RateLimitAccountingTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        public Factory() => Clock = new ManualTimeProvider(DateTimeOffset.UtcNow);

        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings["RateLimiting:PerKeyPerMinute"] = "5";
            settings["RateLimiting:OrderCreationPerKeyPerMinute"] = "2";
            settings["RateLimiting:Window"] = "00:00:06";
        }
    }

    [Fact]
    public async Task A_request_refused_by_the_creation_limit_does_not_use_the_overall_budget()
    {
        var client = factory.CreateClient((await factory.IssueKeyAsync(TestPartners.NextTelegramUserId())).Plaintext);

        await (await client.PostAsync("/api/v1/_test/limited", null)).AssertOkAsync();
        await (await client.PostAsync("/api/v1/_test/limited", null)).AssertOkAsync();
        for (var i = 0; i < 3; i++)
        {
            await (await client.PostAsync("/api/v1/_test/limited", null)).AssertErrorAsync(429, ErrorCodes.RateLimited);
        }

        // Two of five used: the three refusals took nothing from the overall limit.
        for (var i = 0; i < 3; i++)
        {
            await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();
        }

        await (await client.GetAsync("/api/v1/partner")).AssertErrorAsync(429, ErrorCodes.RateLimited);
    }

    [Fact]
    public async Task Keyed_responses_carry_the_rate_limit_headers_of_the_tightest_limit()
    {
        var client = factory.CreateClient((await factory.IssueKeyAsync(TestPartners.NextTelegramUserId())).Plaintext);

        var read = await client.GetAsync("/api/v1/partner");
        Assert.Equal("5", read.Headers.GetValues("RateLimit-Limit").Single());
        Assert.Equal("4", read.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.InRange(int.Parse(read.Headers.GetValues("RateLimit-Reset").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 6);

        var create = await client.PostAsync("/api/v1/_test/limited", null);
        Assert.Equal("2", create.Headers.GetValues("RateLimit-Limit").Single());
        Assert.Equal("1", create.Headers.GetValues("RateLimit-Remaining").Single());

        Assert.False((await factory.CreateClient().GetAsync("/api/v1/health")).Headers.Contains("RateLimit-Limit"));
    }

    [Fact]
    public async Task Retry_after_is_the_time_left_in_the_window_not_the_whole_window()
    {
        var client = factory.CreateClient((await factory.IssueKeyAsync(TestPartners.NextTelegramUserId())).Plaintext);
        for (var i = 0; i < 5; i++)
        {
            await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();
        }

        factory.Clock!.Advance(TimeSpan.FromSeconds(2.5));
        var limited = await client.GetAsync("/api/v1/partner");

        await limited.AssertErrorAsync(429, ErrorCodes.RateLimited);
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 4);
        Assert.Equal("0", limited.Headers.GetValues("RateLimit-Remaining").Single());

        factory.Clock.Advance(TimeSpan.FromSeconds(retryAfter + 0.2));
        await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();
    }
}

/// <summary>
/// On a real socket (Kestrel on 127.0.0.1): the client address is the connection's, and
/// <c>X-Forwarded-For</c> counts only when the connection comes from a configured proxy.
/// </summary>
public sealed class ClientAddressTests
{
    private sealed class Factory(bool trustLoopbackProxy) : ApiFactory
    {
        public override async Task InitializeAsync()
        {
            UseKestrel(0);
            await base.InitializeAsync();
        }

        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings["RateLimiting:FailedAuthPerIpPerMinute"] = "2";
            if (trustLoopbackProxy)
            {
                settings["ForwardedHeaders:KnownProxies"] = "127.0.0.1, ::1";
            }
        }
    }

    private static async Task<HttpResponseMessage> WrongKeyAsync(HttpClient client, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/partner");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "osk_" + new string('9', 43));
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_failures_count_per_forwarded_client()
    {
        await using var factory = new Factory(trustLoopbackProxy: true);
        await factory.InitializeAsync();
        var client = factory.CreateClient();

        await (await WrongKeyAsync(client, "203.0.113.7")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await WrongKeyAsync(client, "203.0.113.7")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await WrongKeyAsync(client, "203.0.113.7")).AssertErrorAsync(429, ErrorCodes.RateLimited);

        // Another client behind the same proxy is not locked out by the first one's failures.
        await (await WrongKeyAsync(client, "198.51.100.9")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task Without_a_trusted_proxy_x_forwarded_for_is_ignored()
    {
        await using var factory = new Factory(trustLoopbackProxy: false);
        await factory.InitializeAsync();
        var client = factory.CreateClient();

        await (await WrongKeyAsync(client, "203.0.113.7")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await WrongKeyAsync(client, "198.51.100.9")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        // A spoofed header cannot buy a fresh budget: the connection's address is what counts.
        await (await WrongKeyAsync(client, "192.0.2.1")).AssertErrorAsync(429, ErrorCodes.RateLimited);
    }

    [Fact]
    public async Task Answers_do_not_name_the_server()
    {
        await using var factory = new Factory(trustLoopbackProxy: false);
        await factory.InitializeAsync();

        var response = await factory.CreateClient().GetAsync("/api/v1/health");

        Assert.False(response.Headers.Contains("Server"));
    }
}

/// <summary>
/// Requests so malformed that Kestrel refuses them itself, on a real socket: the ones the application
/// never sees (bad request line or header bytes, 414, 431) get Kestrel's bodiless answer (listed in the
/// README); the ones found while the application reads the body get the envelope. None is a 5xx.
/// </summary>
public sealed class KestrelRejectionTests : IAsyncLifetime
{
    private sealed class Factory : ApiFactory
    {
        public override async Task InitializeAsync()
        {
            UseKestrel(0);
            await base.InitializeAsync();
        }
    }

    private readonly Factory _factory = new();
    private string _key = "";

    public async Task InitializeAsync()
    {
        await _factory.InitializeAsync();
        _key = (await _factory.IssueKeyAsync(TestPartners.NextTelegramUserId())).Plaintext;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<(int Status, string Body)> RawAsync(string head, byte[]? body = null)
    {
        var address = new Uri(_factory.ClientOptions.BaseAddress.ToString());
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.Latin1.GetBytes(head));
        if (body is not null)
        {
            await stream.WriteAsync(body);
        }

        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var answer = await reader.ReadToEndAsync(timeout.Token);
        var status = int.Parse(answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var separator = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, separator < 0 ? "" : answer[(separator + 4)..]);
    }

    private string Head(string requestLine, string extraHeaders = "") =>
        $"{requestLine}\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {_key}\r\nConnection: close\r\n{extraHeaders}\r\n";

    [Fact]
    public async Task What_kestrel_refuses_before_the_application_is_a_bodiless_4xx()
    {
        Assert.Equal(400, (await RawAsync(Head("GET /api/v1/orders/%00 HTTP/1.1"))).Status);
        Assert.Equal(400, (await RawAsync(Head("GET /api/v1/partner HTTP/1.1", "X-Bad: a\u0000b\r\n"))).Status);
        Assert.Equal(400, (await RawAsync(Head("GET /api/v1/partner HTTP/1.1", "a header line without a colon\r\n"))).Status);
        Assert.Equal(414, (await RawAsync(Head($"GET /api/v1/orders?client_reference={new string('a', 9000)} HTTP/1.1"))).Status);
        Assert.Equal(431, (await RawAsync(Head("GET /api/v1/partner HTTP/1.1", $"X-Big: {new string('b', 40_000)}\r\n"))).Status);
    }

    [Fact]
    public async Task What_the_application_finds_in_the_body_gets_the_envelope()
    {
        var tooLarge = await RawAsync(
            Head("POST /api/v1/orders/stars HTTP/1.1", "Content-Type: application/json\r\nContent-Length: 20000\r\n"), new byte[20_000]);
        Assert.Equal(413, tooLarge.Status);
        Assert.Contains("\"error_code\":\"PAYLOAD_TOO_LARGE\"", tooLarge.Body, StringComparison.Ordinal);

        var badChunks = await RawAsync(
            Head("POST /api/v1/orders/stars HTTP/1.1", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"),
            System.Text.Encoding.ASCII.GetBytes("zz\r\n{}\r\n0\r\n\r\n"));
        Assert.Equal(400, badChunks.Status);
        Assert.Contains("\"error_code\":\"BAD_REQUEST\"", badChunks.Body, StringComparison.Ordinal);
    }
}

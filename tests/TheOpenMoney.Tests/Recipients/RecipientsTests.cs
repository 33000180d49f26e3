using Microsoft.AspNetCore.Http;

namespace TheOpenMoney.Tests.Recipients;

public sealed class RecipientsTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("stars", "pandus", true, null)]
    [InlineData("stars", "@pandus", true, null)]
    [InlineData("stars", "nobody_here", false, "NOT_FOUND")]
    [InlineData("stars", "news_bot", false, "NOT_A_USER")]
    [InlineData("stars", "premium_pam", true, null)]
    [InlineData("premium", "premium_pam", false, "ALREADY_PREMIUM")]
    [InlineData("premium", "pandus", true, null)]
    public async Task Simulated_directory_answers_deterministically(string product, string username, bool canReceive, string? reason)
    {
        var partner = await PartnerApi.CreateAsync(factory);

        var data = await (await partner.Client.GetAsync($"/api/v1/recipients/{product}?username={Uri.EscapeDataString(username)}")).AssertOkAsync();

        Assert.Equal(username.TrimStart('@'), data.GetProperty("username").GetString());
        Assert.Equal(canReceive, data.GetProperty("can_receive").GetBoolean());
        Assert.Equal(reason, data.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("/api/v1/recipients/stars", "username is required")]
    [InlineData("/api/v1/recipients/stars?username=ab", "username must be a Telegram username")]
    [InlineData("/api/v1/recipients/stars?username=_under", "username must be a Telegram username")]
    [InlineData("/api/v1/recipients/premium?username=pandus&months=2", "months must be 3, 6 or 12")]
    public async Task Invalid_check_is_422(string url, string message)
    {
        var partner = await PartnerApi.CreateAsync(factory);

        var error = await (await partner.Client.GetAsync(url)).AssertErrorAsync(422, ErrorCodes.ValidationError);

        Assert.StartsWith(message, error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
    }
}

/// <summary>The HTTP recipient directory against a real server on 127.0.0.1.</summary>
public sealed class HttpRecipientDirectoryTests(HttpRecipientDirectoryTests.Factory factory) : IClassFixture<HttpRecipientDirectoryTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        public FakeHttpServer Upstream { get; private set; } = null!;

        public List<string> Seen { get; } = [];

        public override async Task InitializeAsync()
        {
            Upstream = await FakeHttpServer.StartAsync();
            Upstream.Handler = async context =>
            {
                lock (Seen)
                {
                    Seen.Add($"{context.Request.Path}{context.Request.QueryString} {context.Request.Headers.Authorization}");
                }

                var username = context.Request.Query["username"].ToString();
                context.Response.ContentType = "application/json";
                (context.Response.StatusCode, var body) = username switch
                {
                    "flaky" => (500, """{"error": "boom"}"""),
                    "garbage" => (200, """{"can_receive": false, "reason": "BANNED"}"""),
                    _ when username.StartsWith("nobody", StringComparison.Ordinal) => (200, """{"can_receive": false, "reason": "NOT_FOUND"}"""),
                    _ => (200, """{"can_receive": true, "reason": null}"""),
                };
                await context.Response.WriteAsync(body);
            };
            await base.InitializeAsync();
        }

        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings["Recipients:Mode"] = "Http";
            settings["Recipients:BaseUrl"] = Upstream.Url;
            settings["Recipients:ApiKey"] = "dir-key";
            settings["Recipients:Http:RetryBaseDelay"] = "00:00:00.050";
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }

    [Fact]
    public async Task Directory_is_asked_over_http_with_its_key()
    {
        var partner = await PartnerApi.CreateAsync(factory);

        var yes = await (await partner.Client.GetAsync("/api/v1/recipients/premium?username=pandus&months=6")).AssertOkAsync();
        var no = await (await partner.Client.GetAsync("/api/v1/recipients/stars?username=nobody1")).AssertOkAsync();

        Assert.True(yes.GetProperty("can_receive").GetBoolean());
        Assert.False(no.GetProperty("can_receive").GetBoolean());
        Assert.Equal("NOT_FOUND", no.GetProperty("reason").GetString());
        lock (factory.Seen)
        {
            Assert.Contains("/v1/recipients/premium?username=pandus&months=6 Bearer dir-key", factory.Seen);
        }
    }

    [Theory]
    [InlineData("flaky")]
    [InlineData("garbage")]
    public async Task Directory_failure_is_unknown_and_the_order_is_still_created(string username)
    {
        var partner = await PartnerApi.CreateAsync(factory);

        var check = await (await partner.Client.GetAsync($"/api/v1/recipients/stars?username={username}")).AssertOkAsync();
        var order = await partner.CreatedStarsOrderAsync(username);

        Assert.Equal(JsonValueKind.Null, check.GetProperty("can_receive").ValueKind);
        Assert.Equal("UNKNOWN", check.GetProperty("reason").GetString());
        Assert.Equal("UNKNOWN", order.GetProperty("recipient_check").GetString());
        Assert.Equal("pending_payment", order.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Directory_refusal_blocks_the_order()
    {
        var partner = await PartnerApi.CreateAsync(factory);

        await (await partner.CreateStarsAsync("nobody2")).AssertErrorAsync(422, ErrorCodes.RecipientNotEligible);

        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
    }
}

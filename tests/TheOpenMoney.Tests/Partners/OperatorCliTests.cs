namespace TheOpenMoney.Tests.Partners;

/// <summary>The operator verbs, run as a real process of the API binary against the test database.</summary>
public sealed class OperatorCliTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private sealed record Result(int ExitCode, string Stdout, string Stderr);

    private static string NewUser() => TestPartners.NextTelegramUserId().ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Keys_create_prints_only_the_key_which_then_authenticates()
    {
        var result = await RunAsync("keys", "create", "--telegram-user-id", NewUser(), "--username", "bob");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var key = Assert.Single(lines);
        Assert.Matches("^osk_[0-9A-Za-z]{43}$", key);
        var data = await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertOkAsync();
        Assert.Equal("bob", data.GetProperty("username").GetString());
        Assert.DoesNotContain(key, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_revoke_makes_the_key_fail_on_the_next_request()
    {
        var user = NewUser();
        var key = (await RunAsync("keys", "create", "--telegram-user-id", user)).Stdout.Trim();
        var client = factory.CreateClient(key);
        await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();

        var revoke = await RunAsync("keys", "revoke", "--telegram-user-id", user);

        Assert.Equal(0, revoke.ExitCode);
        Assert.Equal("", revoke.Stdout);
        await (await client.GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task Keys_create_again_revokes_the_previous_key()
    {
        var user = NewUser();
        var first = (await RunAsync("keys", "create", "--telegram-user-id", user)).Stdout.Trim();
        var second = (await RunAsync("keys", "create", "--telegram-user-id", user)).Stdout.Trim();

        Assert.NotEqual(first, second);
        await (await factory.CreateClient(first).GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await factory.CreateClient(second).GetAsync("/api/v1/partner")).AssertOkAsync();
    }

    [Fact]
    public async Task Keys_create_test_issues_a_test_mode_key_beside_the_live_one_and_revoke_test_revokes_only_it()
    {
        var user = NewUser();
        var live = (await RunAsync("keys", "create", "--telegram-user-id", user)).Stdout.Trim();
        var test = (await RunAsync("keys", "create", "--telegram-user-id", user, "--test")).Stdout.Trim();

        Assert.Matches("^osk_test_[0-9A-Za-z]{43}$", test);
        Assert.Equal("test", (await (await factory.CreateClient(test).GetAsync("/api/v1/partner")).AssertOkAsync()).GetProperty("mode").GetString());
        Assert.Equal("live", (await (await factory.CreateClient(live).GetAsync("/api/v1/partner")).AssertOkAsync()).GetProperty("mode").GetString());

        var revoke = await RunAsync("keys", "revoke", "--telegram-user-id", user, "--test");
        Assert.Equal(0, revoke.ExitCode);
        await (await factory.CreateClient(test).GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await factory.CreateClient(live).GetAsync("/api/v1/partner")).AssertOkAsync();
    }

    [Theory]
    [InlineData("keys", "create")]
    // Malformed ids and a verb that does not exist: the fixed values are the point.
    [InlineData("keys", "create", "--telegram-user-id", "abc")]
    [InlineData("keys", "create", "--telegram-user-id", "-5")]
    [InlineData("keys", "rotate", "--telegram-user-id", "5")]
    public async Task Bad_usage_exits_2_with_usage_on_stderr(params string[] args)
    {
        var result = await RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains("usage:", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_exits_0_on_an_up_to_date_database()
    {
        var result = await RunAsync("migrate");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("migrations applied: 0", result.Stderr, StringComparison.Ordinal);
    }

    private async Task<Result> RunAsync(params string[] args)
    {
        var (exitCode, stdout, stderr) = await ApiProcess.RunCliAsync(
            new Dictionary<string, string>
            {
                ["ConnectionStrings__Postgres"] = factory.ConnectionString,
                ["ApiKeys__Pepper"] = ApiFactory.Pepper,
                ["Webhooks__SecretKey"] = ApiFactory.WebhookSecretKey,
            },
            args);
        return new Result(exitCode, stdout, stderr);
    }
}

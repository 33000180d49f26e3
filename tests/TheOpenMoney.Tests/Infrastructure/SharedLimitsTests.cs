using System.Globalization;
using TheOpenMoney.Api.Infrastructure.RateLimiting;
using TheOpenMoney.Api.Telegram;
using TheOpenMoney.Api.TonRamp;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>The limits counted in PostgreSQL (the default).</summary>
public sealed class SharedLimitsInPostgresTests(SharedLimitsInPostgresTests.First first) : SharedLimitsTests(first, first.Settings), IClassFixture<SharedLimitsInPostgresTests.First>
{
    public sealed class First : SharedLimitsTests.FirstInstance;
}

/// <summary>The same limits counted in Redis (<c>Redis:Configuration</c>), on a real redis-server on loopback.</summary>
public sealed class SharedLimitsInRedisTests(SharedLimitsInRedisTests.First first) : SharedLimitsTests(first, first.Settings), IClassFixture<SharedLimitsInRedisTests.First>
{
    public sealed class First : SharedLimitsTests.FirstInstance
    {
        private RedisServer? _redis;

        public override async Task InitializeAsync()
        {
            _redis = await RedisServer.StartAsync();
            Settings["Redis:Configuration"] = _redis.Configuration;
            await base.InitializeAsync();
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Nothing_is_counted_in_postgresql_when_redis_counts()
    {
        var issued = await FirstApi.IssueKeyAsync(TestPartners.NextTelegramUserId());
        await (await FirstApi.CreateClient(issued.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();
        Assert.Equal(0, await Db.ScalarAsync(FirstApi, "SELECT count(*) FROM rate_limit_buckets"));
    }
}

/// <summary>
/// Two API instances on one database: a key's limits, the failed-auth limit of a client address and TonRamp's
/// moving windows are each one budget for both, whichever instance a request reaches.
/// </summary>
public abstract class SharedLimitsTests(ApiFactory first, IReadOnlyDictionary<string, string?> settings) : IAsyncLifetime
{
    private SecondInstance _second = null!;

    protected ApiFactory FirstApi => first;

    /// <summary>The first instance: 40 a minute per key (leased 2 at a time), 10 order creations (1 at a time), 6 failed authentications per address, 7 TonRamp links.</summary>
    public abstract class FirstInstance : SettingsFactory
    {
        protected FirstInstance()
        {
            Settings["RateLimiting:PerKeyPerMinute"] = "40";
            Settings["RateLimiting:OrderCreationPerKeyPerMinute"] = "10";
            Settings["RateLimiting:FailedAuthPerIpPerMinute"] = "6";
            Settings["TonRamp:BaseUrl"] = "http://127.0.0.1:9";
            Settings["TonRamp:MerchantId"] = "shared-limits";
            Settings["TonRamp:GeneratePerMinute"] = "7";
        }
    }

    public async Task InitializeAsync()
    {
        _second = new SecondInstance(first, settings);
        await _second.InitializeAsync();
    }

    public async Task DisposeAsync() => await _second.DisposeAsync();

    [Fact]
    public async Task A_keys_limit_is_one_budget_across_both_instances_and_the_headers_say_so()
    {
        var issued = await first.IssueKeyAsync(TestPartners.NextTelegramUserId());
        HttpClient[] clients = [first.CreateClient(issued.Plaintext), _second.CreateClient(issued.Plaintext)];
        var allowed = 0;
        var remaining = new List<int>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 60 && refused is null; i++)
        {
            var response = await clients[i % 2].GetAsync("/api/v1/partner");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
                break;
            }

            await response.AssertOkAsync();
            allowed++;
            remaining.Add(int.Parse(response.Headers.GetValues("RateLimit-Remaining").Single(), CultureInfo.InvariantCulture));
        }

        // Never more than the limit; short of it by at most the one batch (2) the other instance may hold unspent.
        Assert.NotNull(refused);
        Assert.InRange(allowed, 40 - 1, 40);
        Assert.Equal("40", refused.Headers.GetValues("RateLimit-Limit").Single());
        Assert.Equal("0", refused.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 1, 60);
        await refused.AssertErrorAsync(429, ErrorCodes.RateLimited);
        Assert.True(remaining.Zip(remaining.Skip(1)).All(p => p.Second <= p.First + 1), $"RateLimit-Remaining went up: {string.Join(",", remaining)}");

        // The other instance refuses the key too.
        await (await clients[(allowed + 1) % 2].GetAsync("/api/v1/partner")).AssertErrorAsync(429, ErrorCodes.RateLimited);
    }

    [Fact]
    public async Task Order_creation_and_failed_authentication_are_counted_once_for_both_instances()
    {
        var issued = await first.IssueKeyAsync(TestPartners.NextTelegramUserId());
        var partners = new[] { new PartnerApi(first, issued.PartnerId, issued.Plaintext), new PartnerApi(_second, issued.PartnerId, issued.Plaintext) };
        var created = 0;
        for (var i = 0; i < 14; i++)
        {
            var response = await partners[i % 2].CreateStarsAsync();
            created += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.Equal(10, created);

        HttpClient[] strangers = [first.CreateClient("osk_" + new string('Q', 43)), _second.CreateClient("osk_" + new string('Q', 43))];
        var unauthorized = 0;
        for (var i = 0; i < 10; i++)
        {
            unauthorized += (await strangers[i % 2].GetAsync("/api/v1/partner")).StatusCode == HttpStatusCode.Unauthorized ? 1 : 0;
        }

        Assert.Equal(6, unauthorized);
    }

    [Fact]
    public async Task The_bots_key_command_cooldown_is_one_budget_across_both_instances()
    {
        // In Webhook mode Telegram may hand a user's updates to either instance: three key commands per ten minutes in all.
        KeyCommandLimiter[] limiters = [first.Services.GetRequiredService<KeyCommandLimiter>(), _second.Services.GetRequiredService<KeyCommandLimiter>()];
        var user = TestPartners.NextTelegramUserId();
        var outcomes = new List<(bool Allowed, TimeSpan RetryAfter)>();
        for (var i = 0; i < 6; i++)
        {
            outcomes.Add(await limiters[i % 2].TryAcquireAsync(user, CancellationToken.None));
        }

        Assert.Equal([true, true, true, false, false, false], outcomes.Select(o => o.Allowed).ToArray());
        Assert.All(outcomes.Skip(3), o => Assert.InRange(o.RetryAfter, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10)));
        Assert.True((await limiters[1].TryAcquireAsync(TestPartners.NextTelegramUserId(), CancellationToken.None)).Allowed, "another user has a budget of their own");
    }

    [Fact]
    public async Task The_sweeper_deletes_windows_that_ended_and_keeps_a_long_one_half_way_through()
    {
        var suffix = TestPartners.NextTelegramUserId().ToString(CultureInfo.InvariantCulture);
        await Db.ExecuteAsync(
            first,
            "INSERT INTO rate_limit_buckets (bucket, window_start, window_end, taken) VALUES " +
            "($1, now() - interval '5 minutes', now() + interval '5 minutes', 3), ($2, now() - interval '5 minutes', now() - interval '4 minutes', 9)",
            "long:" + suffix,
            "ended:" + suffix);

        await using (var scope = first.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<RateLimitSweeper>().RunAsync(CancellationToken.None);
        }

        Assert.Equal(3, await Db.ScalarAsync(first, "SELECT taken FROM rate_limit_buckets WHERE bucket = $1", "long:" + suffix));
        Assert.Equal(0, await Db.ScalarAsync(first, "SELECT count(*) FROM rate_limit_buckets WHERE bucket = $1", "ended:" + suffix));
    }

    [Fact]
    public async Task TonRamps_moving_window_is_shared_by_both_instances()
    {
        SlidingLogLimiter[] limiters = [first.Services.GetRequiredService<TonRampLimiters>().Generate, _second.Services.GetRequiredService<TonRampLimiters>().Generate];
        var granted = 0;
        var retryAfter = TimeSpan.Zero;
        for (var i = 0; i < 12; i++)
        {
            var (ok, wait) = await limiters[i % 2].TryAcquireAsync(CancellationToken.None);
            granted += ok ? 1 : 0;
            retryAfter = ok ? retryAfter : wait;
        }

        Assert.Equal(7, granted);
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(61));
        Assert.Equal(7, await limiters[1].InUseAsync(CancellationToken.None));
    }
}

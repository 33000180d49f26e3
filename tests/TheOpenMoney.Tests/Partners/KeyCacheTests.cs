using System.Diagnostics;
using TheOpenMoney.Api.Partners;

namespace TheOpenMoney.Tests.Partners;

/// <summary>
/// Two API instances on one database, each caching the keys it has seen: a key revoked through one fails on
/// the other within a second (the database's NOTIFY), a listener whose connection dies stops trusting its cache
/// until it listens again, and the cache stays within its bound.
/// </summary>
public sealed class KeyCacheTests(KeyCacheTests.First first) : IClassFixture<KeyCacheTests.First>, IAsyncLifetime
{
    private SecondInstance _second = null!;

    public sealed class First : SettingsFactory
    {
        public First() => Settings["ApiKeys:CacheSize"] = "4";
    }

    public async Task InitializeAsync()
    {
        _second = new SecondInstance(first, first.Settings);
        await _second.InitializeAsync();
        await ListeningAsync(first);
        await ListeningAsync(_second);
    }

    public async Task DisposeAsync() => await _second.DisposeAsync();

    private static ApiKeyCache CacheOf(ApiFactory instance) => instance.Services.GetRequiredService<ApiKeyCache>();

    private static Task<bool> ListeningAsync(ApiFactory instance) =>
        Eventually.WaitAsync(() => Task.FromResult(CacheOf(instance).Trusted), trusted => trusted, "the key cache to be trusted (the listener listening)");

    /// <summary>How long until the key is refused by <paramref name="instance"/> (asking every 10 ms; fails the test past 5 s).</summary>
    private static async Task<TimeSpan> TimeUntilRefusedAsync(ApiFactory instance, string key)
    {
        var client = instance.CreateClient(key);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            if ((await client.GetAsync("/api/v1/partner")).StatusCode == System.Net.HttpStatusCode.Unauthorized)
            {
                return clock.Elapsed;
            }

            await Task.Delay(10);
        }

        Assert.Fail("the revoked key was still served after 5 s");
        return default;
    }

    [Fact]
    public async Task A_key_revoked_through_one_instance_fails_on_the_other_within_a_second()
    {
        var telegramUserId = TestPartners.NextTelegramUserId();
        var key = (await first.IssueKeyAsync(telegramUserId)).Plaintext;
        var onSecond = _second.CreateClient(key);
        await (await onSecond.GetAsync("/api/v1/partner")).AssertOkAsync();
        var hash = Convert.ToHexStringLower(_second.Services.GetRequiredService<ApiKeyHasher>().Hash(key));
        Assert.True(CacheOf(_second).TryGet(hash, out _), "the second instance should now serve the key from its cache");

        await using (var scope = first.Services.CreateAsyncScope())
        {
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<PartnerKeyService>().RevokeAsync(telegramUserId, livemode: true, CancellationToken.None));
        }

        // On the instance that revoked it: the very next request. On the other: as soon as the notification lands.
        await (await first.CreateClient(key).GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        var took = await TimeUntilRefusedAsync(_second, key);
        Assert.True(took < TimeSpan.FromSeconds(1), $"the other instance refused the key only after {took.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_key_revoked_in_sql_by_hand_is_refused_everywhere_too()
    {
        var issued = await first.IssueKeyAsync(TestPartners.NextTelegramUserId());
        await (await first.CreateClient(issued.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();
        await (await _second.CreateClient(issued.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();

        await Db.ExecuteAsync(first, "UPDATE api_keys SET revoked_at = now() WHERE partner_id = $1", issued.PartnerId);

        Assert.True(await TimeUntilRefusedAsync(first, issued.Plaintext) < TimeSpan.FromSeconds(1));
        Assert.True(await TimeUntilRefusedAsync(_second, issued.Plaintext) < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_listener_whose_connection_is_killed_bypasses_the_cache_then_recovers_and_never_serves_a_revoked_key()
    {
        var issued = await first.IssueKeyAsync(TestPartners.NextTelegramUserId());
        var client = _second.CreateClient(issued.Plaintext);
        await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();
        var state = _second.Services.GetRequiredService<ApiKeyListenerState>();
        var backend = state.BackendProcessId;
        Assert.NotEqual(0, backend);

        // Its connection dies, and the key is revoked while nobody listens on that instance: the notification is lost.
        await Db.ExecuteAsync(first, "SELECT pg_terminate_backend($1)", backend);
        await Eventually.WaitAsync(() => Task.FromResult(CacheOf(_second).Trusted), trusted => !trusted, "the cache to be distrusted");
        await Db.ExecuteAsync(first, "UPDATE api_keys SET revoked_at = now() WHERE partner_id = $1", issued.PartnerId);
        await (await client.GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);

        // It listens again on a new connection, starting from an empty cache: the revoked key stays refused.
        await Eventually.WaitAsync(() => Task.FromResult(state.BackendProcessId), id => id != 0 && id != backend, "the listener to reconnect");
        await ListeningAsync(_second);
        await (await client.GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        var fresh = await first.IssueKeyAsync(TestPartners.NextTelegramUserId());
        await (await _second.CreateClient(fresh.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();
    }

    [Fact]
    public async Task The_cache_holds_at_most_its_bound()
    {
        for (var i = 0; i < 9; i++)
        {
            var issued = await first.IssueKeyAsync(TestPartners.NextTelegramUserId());
            await (await first.CreateClient(issued.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();
            Assert.InRange(CacheOf(first).Count, 1, 4);
        }
    }
}

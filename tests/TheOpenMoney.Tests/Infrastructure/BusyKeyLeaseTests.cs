
namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// A busy key whose batches run out mid-flight on both instances at once (batches of 20 for a limit of 400,
/// concurrent requests): together they still admit exactly the limit, never one more, and nothing leased is
/// lost once both are spent.
/// </summary>
public sealed class BusyKeyLeaseTests(BusyKeyLeaseTests.First first) : IClassFixture<BusyKeyLeaseTests.First>, IAsyncLifetime
{
    private SecondInstance _second = null!;

    public sealed class First : SettingsFactory
    {
        public First() => Settings["RateLimiting:PerKeyPerMinute"] = "400";
    }

    public async Task InitializeAsync()
    {
        _second = new SecondInstance(first, first.Settings);
        await _second.InitializeAsync();
    }

    public async Task DisposeAsync() => await _second.DisposeAsync();

    [Fact]
    public async Task Concurrent_refills_never_admit_more_than_the_limit_across_instances()
    {
        var issued = await first.IssueKeyAsync(TestPartners.NextTelegramUserId());
        HttpClient[] clients = [first.CreateClient(issued.Plaintext), _second.CreateClient(issued.Plaintext)];
        var admitted = 0;
        // Two requests at a time per instance, 460 in all: batches run out mid-flight and are refilled concurrently.
        for (var round = 0; round < 115; round++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => clients[i % 2].GetAsync("/api/v1/partner")));
            admitted += answers.Count(a => a.StatusCode == HttpStatusCode.OK);
            Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{a.StatusCode}"));
        }

        Assert.Equal(400, admitted);
        Assert.Equal(400, await Db.ScalarAsync(first, "SELECT taken FROM rate_limit_buckets WHERE bucket = $1", "key:" + (await Db.ScalarAsync(first, "SELECT id FROM api_keys WHERE partner_id = $1", issued.PartnerId))));
    }
}

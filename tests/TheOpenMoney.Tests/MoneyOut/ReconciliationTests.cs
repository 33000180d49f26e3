using System.Net.Http.Json;
using TheOpenMoney.Api.Infrastructure.Cli;

namespace TheOpenMoney.Tests.MoneyOut;

/// <summary>
/// The closed book against the processor simulator: quiet while our deposits match the processor's income and
/// the hot wallet covers what we owe; a difference seen once is only noted, one that persists over two runs is a
/// mismatch (health degraded, the operators told); a hot wallet that cannot cover what we owe is a shortfall.
/// </summary>
public sealed class ReconciliationTests(ReconciliationTests.Factory factory) : IClassFixture<ReconciliationTests.Factory>
{
    public sealed class Factory : MoneyOutFactory;

    private async Task<(int Code, string Stdout)> ReconcileCliAsync()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OperatorCli.TryParse(["reconcile"])!.RunAsync(factory.Services, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString());
    }

    private async Task<JsonElement> HealthAsync() =>
        (await (await factory.CreateClient().GetAsync("/api/v1/health")).ReadJsonAsync()).GetProperty("data").GetProperty("components").GetProperty("reconciliation");

    [Fact]
    public async Task Quiet_while_the_books_match_then_a_persisting_difference_is_a_mismatch_and_a_short_hot_wallet_a_shortfall()
    {
        // Matching books: deposits polled, a partner with a balance, all covered by the hot wallet.
        var partner = await PartnerApi.CreateAsync(factory);
        await partner.CreditAsync(2m, "reconcile");
        await factory.UnmatchedDepositAsync(0.7m);
        var first = await factory.ReconcileAsync();
        var second = await factory.ReconcileAsync();
        Assert.Equal("ok", first.Status);
        Assert.Equal("ok", second.Status);
        Assert.Empty(second.Differences);
        Assert.True(second.HoldsNanoton >= second.OwesNanoton);
        var (code, report) = await ReconcileCliAsync();
        Assert.True(code == 0, report);
        Assert.Equal("ok", (await HealthAsync()).GetProperty("status").GetString());
        var noticesBefore = factory.Bot.SentTo(777000).Count;

        // A deposit the processor has and our poller has not read: a difference, noted once, not a mismatch.
        (await factory.Sim.PostAsJsonAsync("/_sim/deposits", new { user_id = "orders", amount = "3000000000", comment = "unseen" })).EnsureSuccessStatusCode();
        var once = await factory.ReconcileAsync();
        Assert.Equal("ok", once.Status);
        Assert.Single(once.Differences);
        Assert.Empty(once.Persisting);
        Assert.Equal(noticesBefore, factory.Bot.SentTo(777000).Count);
        (code, report) = await ReconcileCliAsync();
        Assert.Equal(1, code);
        Assert.Contains("MISMATCH", report, StringComparison.Ordinal);

        // Still there a run later: a mismatch — health degraded, the operators told.
        var twice = await factory.ReconcileAsync();
        Assert.Equal("mismatch", twice.Status);
        Assert.Equal(3_000_000_000, twice.MismatchNanoton);
        Assert.Equal("degraded", (await HealthAsync()).GetProperty("status").GetString());
        var notice = await factory.Bot.WaitForReplyTextAsync(777000, noticesBefore + 1);
        Assert.Contains("mismatch", notice, StringComparison.Ordinal);

        // The poller catches up: the books close again.
        await factory.PollAsync();
        Assert.Equal("ok", (await factory.ReconcileAsync()).Status);
        Assert.Equal("ok", (await HealthAsync()).GetProperty("status").GetString());

        // Partners owed more than the processor holds: a shortfall.
        await partner.CreditAsync(20_000m, "reconcile-more-than-held");
        var shortfall = await factory.ReconcileAsync();
        Assert.Equal("shortfall", shortfall.Status);
        Assert.True(shortfall.ShortfallNanoton > 0);
        Assert.Equal("degraded", (await HealthAsync()).GetProperty("status").GetString());
        Assert.Contains(factory.Bot.SentTo(777000), c => c.Text.Contains("SHORT by", StringComparison.Ordinal));
    }
}

/// <summary>
/// USDT is its own book: its income per address compared with the USDT deposits we stored, its hot wallet and
/// addresses against what we owe in USDT, never added to TON's. A USDT deposit we have not read is a USDT difference,
/// a mismatch when it persists; USDT owed beyond what the processor holds of it is a shortfall even when TON is covered.
/// </summary>
public sealed class UsdtReconciliationTests(UsdtReconciliationTests.Factory factory) : IClassFixture<UsdtReconciliationTests.Factory>
{
    public sealed class Factory : MoneyOutFactory;

    [Fact]
    public async Task A_usdt_difference_is_a_usdt_mismatch_and_usdt_owed_beyond_the_usdt_held_a_shortfall()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        await factory.UnmatchedUsdtAsync(2_000_000);
        var ok = await factory.ReconcileAsync();
        Assert.Equal("ok", ok.Status);
        var book = Assert.Single(ok.Books);
        Assert.Equal(("USDT", 2_000_000L), (book.Currency, book.Owes));
        Assert.True(book.Holds >= book.Owes, $"USDT held {book.Holds}, owed {book.Owes}");

        // A USDT deposit the processor has and our poller has not read: a USDT difference, then a mismatch.
        (await factory.Sim.PostAsJsonAsync("/_sim/deposits", new { user_id = "orders", currency = "USDT", amount = "700000", comment = "unseen" })).EnsureSuccessStatusCode();
        var once = await factory.ReconcileAsync();
        var difference = Assert.Single(once.Differences);
        Assert.Equal(("USDT", 700_000L), (difference.Currency, difference.ProcessorNanoton - difference.OursNanoton));
        Assert.Equal("ok", once.Status);
        var twice = await factory.ReconcileAsync();
        Assert.Equal("mismatch", twice.Status);
        Assert.Equal(0, twice.MismatchNanoton);
        Assert.Contains("ours 2 USDT, processor 2.7 USDT (also in the run before: a MISMATCH)", twice.Describe(), StringComparison.Ordinal);
        await factory.PollAsync();
        Assert.Equal("ok", (await factory.ReconcileAsync()).Status);

        // A partner owed more USDT than the processor holds of it: a shortfall, though TON is covered.
        await Db.ExecuteAsync(factory, "SELECT ledger_apply($1, 'adjustment', 50000000, NULL, NULL, 'usdt-short', 'test credit', now(), NULL, NULL, 'USDT')", partner.PartnerId);
        var shortfall = await factory.ReconcileAsync();
        Assert.Equal("shortfall", shortfall.Status);
        Assert.Equal(0, shortfall.ShortfallNanoton);
        Assert.True(Assert.Single(shortfall.Books).Shortfall > 0);
        Assert.Contains(factory.Bot.SentTo(777000), c => c.Text.Contains("SHORT by", StringComparison.Ordinal) && c.Text.Contains("USDT", StringComparison.Ordinal));
    }
}

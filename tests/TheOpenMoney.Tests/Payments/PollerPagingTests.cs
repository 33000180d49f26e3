using TheOpenMoney.Api.Payments;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// The poller walks the history a page at a time and fetches the next page while it applies the current
/// one. A processor failure on a later page must keep what the earlier pages applied, leave the cursor
/// after them, and let the next poll finish the walk crediting each deposit exactly once.
/// </summary>
public sealed class PollerPagingTests(PaymentsFactory factory) : IClassFixture<PaymentsFactory>
{
    private const int Deposits = 120;
    private const int PageSize = 50; // PaymentsFactory's PaymentProcessor:PageSize

    [Fact]
    public async Task A_failure_on_a_later_page_keeps_the_earlier_pages_and_the_next_poll_credits_the_rest_once()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var address = (await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync()).GetProperty("topup_address").GetString()!;
        for (var i = 0; i < Deposits; i++)
        {
            await factory.DepositAsync(1m, address: address);
        }

        // Every attempt (the first and both retries) at the second page of top-ups fails.
        factory.Processor.FailHistoryFrom(PageSize, count: 3);
        await Assert.ThrowsAsync<ProcessorException>(factory.PollAsync);

        Assert.Equal(PageSize, await partner.BalanceTonAsync());
        Assert.Equal(PageSize, await Db.ScalarAsync(factory, "SELECT next_offset FROM processor_cursors WHERE processor_user_id = 'topups'"));
        Assert.Equal(PageSize, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE deposit_address = $1", address));

        await factory.PollAsync();

        Assert.Equal(Deposits, await partner.BalanceTonAsync());
        Assert.Equal(Deposits, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE deposit_address = $1 AND applied_at IS NOT NULL", address));
        Assert.Equal(Deposits, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE partner_id = $1 AND type = 'topup'", partner.PartnerId));
        Assert.Equal(Deposits, await Db.ScalarAsync(factory, "SELECT next_offset FROM processor_cursors WHERE processor_user_id = 'topups'"));
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }
}

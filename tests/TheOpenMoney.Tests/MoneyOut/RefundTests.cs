using System.Net.Http.Json;
using System.Globalization;
using TheOpenMoney.Api.Infrastructure.Cli;

namespace TheOpenMoney.Tests.MoneyOut;

/// <summary>
/// Refunds of unmatched deposits on real PostgreSQL against the processor simulator: sent back once after
/// <c>Refunds:Grace</c>, minus <c>Refunds:NetworkFeeTon</c>, with a comment naming the transaction; dust and
/// sender-less deposits kept; the operator's <c>deposits assign|refund|keep</c>, each acting once.
/// </summary>
public sealed class RefundTests(RefundTests.Factory factory) : IClassFixture<RefundTests.Factory>
{
    public sealed class Factory : MoneyOutFactory;

    private async Task<(int Code, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OperatorCli.TryParse(args)!.RunAsync(factory.Services, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private Task<string> DecisionAsync(string txHash) =>
        factory.ScalarAsync<string>("SELECT coalesce(decision, 'none') FROM deposits WHERE tx_hash = $1", txHash);

    [Fact]
    public async Task An_unmatched_deposit_with_a_sender_is_refunded_once_after_the_grace_minus_the_fee_and_dust_and_senderless_ones_are_kept()
    {
        var refundable = await factory.UnmatchedDepositAsync(1.25m);
        var dust = await factory.UnmatchedDepositAsync(0.05m);
        var senderless = await factory.UnmatchedDepositAsync(2m, source: null);
        async Task<List<JsonElement>> RefundsOfAsync(string txHash) =>
            [.. (await factory.ProcessorWithdrawalsAsync()).Where(w => w.GetProperty("comment").GetString()?.Contains(txHash[..8], StringComparison.Ordinal) == true)];

        await factory.EngineAsync();
        Assert.Empty(await RefundsOfAsync(refundable));
        Assert.Equal("none", await DecisionAsync(refundable));

        factory.ManualClock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await factory.EngineAsync();
        await factory.EngineAsync();
        await factory.EngineAsync();

        var refund = Assert.Single(await RefundsOfAsync(refundable));
        Assert.Empty(await RefundsOfAsync(dust));
        Assert.Empty(await RefundsOfAsync(senderless));
        Assert.Equal("1240000000", refund.GetProperty("amount").GetString());
        Assert.Equal(MoneyOutFactory.Sender, refund.GetProperty("destination").GetString());
        Assert.Equal($"refund {refundable[..8]}: no matching order", refund.GetProperty("comment").GetString());
        Assert.Equal("processed", refund.GetProperty("status").GetString());
        Assert.Equal("refunded", await DecisionAsync(refundable));
        Assert.Equal("none", await DecisionAsync(dust));
        Assert.Equal("none", await DecisionAsync(senderless));
        var row = await factory.ScalarAsync<string>(
            "SELECT w.status || ' ' || w.tx_hash FROM withdrawals w JOIN deposits d ON d.id = w.deposit_id WHERE d.tx_hash = $1", refundable);
        Assert.Equal("completed " + refund.GetProperty("tx_hash").GetString(), row);
        Assert.Equal(0L, await factory.ScalarAsync<long>("SELECT unmatched_nanoton FROM deposits WHERE tx_hash = $1", refundable));
        Assert.Equal(10_000_000L, await factory.ScalarAsync<long>("SELECT refund_fee_nanoton FROM deposits WHERE tx_hash = $1", refundable));

        // Once: more runs, later, send nothing more.
        factory.ManualClock.Advance(TimeSpan.FromHours(2));
        await factory.EngineAsync();
        Assert.Single(await RefundsOfAsync(refundable));
    }

    [Fact]
    public async Task Assign_pays_the_order_it_names_and_every_decision_is_taken_once()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var order = await partner.CreatedStarsOrderAsync();
        var price = order.GetProperty("price_ton").GetDecimal();
        var misspelled = await factory.UnmatchedDepositAsync(price, comment: "STARS-typo00");

        var assigned = await CliAsync("deposits", "assign", "--tx-hash", misspelled, "--order-id", order.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture));

        Assert.True(assigned.Code == 0, assigned.Stderr);
        Assert.Contains("order_payment", assigned.Stdout, StringComparison.Ordinal);
        var paid = await (await partner.Client.GetAsync($"/api/v1/orders/{order.GetProperty("id").GetInt64()}")).AssertOkAsync();
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        Assert.Equal(1, (await CliAsync("deposits", "assign", "--tx-hash", misspelled, "--order-id", "1")).Code);
        Assert.Equal(1, (await CliAsync("deposits", "keep", "--tx-hash", misspelled)).Code);
        Assert.Equal(1, (await CliAsync("deposits", "refund", "--tx-hash", misspelled)).Code);

        var kept = await factory.UnmatchedDepositAsync(3m);
        Assert.Equal(0, (await CliAsync("deposits", "keep", "--tx-hash", kept)).Code);
        Assert.Equal(1, (await CliAsync("deposits", "keep", "--tx-hash", kept)).Code);
        Assert.Equal(1, (await CliAsync("deposits", "refund", "--tx-hash", kept)).Code);
        factory.ManualClock.Advance(TimeSpan.FromHours(2));
        await factory.EngineAsync();
        Assert.Equal("keep", await DecisionAsync(kept));

        var chosen = await factory.UnmatchedDepositAsync(0.5m, source: null);
        Assert.Equal(1, (await CliAsync("deposits", "refund", "--tx-hash", chosen)).Code);
        var refunded = await CliAsync("deposits", "refund", "--tx-hash", chosen, "--to", "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29");
        Assert.True(refunded.Code == 0, refunded.Stderr);
        Assert.Equal(1, (await CliAsync("deposits", "refund", "--tx-hash", chosen, "--to", "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29")).Code);
        Assert.Equal("refunding", await DecisionAsync(chosen));

        var listed = await CliAsync("deposits", "unmatched");
        Assert.Contains(kept, listed.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(misspelled, listed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refund_the_processor_fails_goes_back_to_the_operators_and_is_not_refunded_again_on_its_own()
    {
        var deposit = await factory.UnmatchedDepositAsync(0.8m);
        await factory.ControlWithdrawalsAsync(new { fail_next = 1 });
        factory.ManualClock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        await factory.EngineAsync();
        await factory.EngineAsync();

        Assert.Equal("refund_failed", await DecisionAsync(deposit));
        Assert.Equal(800_000_000L, await factory.ScalarAsync<long>("SELECT unmatched_nanoton FROM deposits WHERE tx_hash = $1", deposit));
        var attempts = await factory.ScalarAsync<long>("SELECT count(*) FROM withdrawals w JOIN deposits d ON d.id = w.deposit_id WHERE d.tx_hash = $1", deposit);
        factory.ManualClock.Advance(TimeSpan.FromHours(2));
        await factory.EngineAsync();
        Assert.Equal(attempts, await factory.ScalarAsync<long>("SELECT count(*) FROM withdrawals w JOIN deposits d ON d.id = w.deposit_id WHERE d.tx_hash = $1", deposit));

        // The operator tries again: a new withdrawal, a new query id.
        Assert.Equal(0, (await CliAsync("deposits", "refund", "--tx-hash", deposit)).Code);
        await factory.EngineAsync();
        await factory.EngineAsync();
        Assert.Equal("refunded", await DecisionAsync(deposit));
        Assert.Equal(2L, await factory.ScalarAsync<long>("SELECT count(DISTINCT query_id) FROM withdrawals w JOIN deposits d ON d.id = w.deposit_id WHERE d.tx_hash = $1", deposit));
    }

    [Fact]
    public async Task A_send_whose_answer_was_lost_is_not_sent_again_and_its_processor_id_is_found_by_its_query_id()
    {
        var deposit = await factory.UnmatchedDepositAsync(0.7m);
        factory.ManualClock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        const string Row = "SELECT w.{0} FROM withdrawals w JOIN deposits d ON d.id = w.deposit_id WHERE d.tx_hash = $1";
        string Column(string name) => string.Format(CultureInfo.InvariantCulture, Row, name);
        using var processor = new HttpClient { BaseAddress = factory.Sim.BaseAddress };
        processor.DefaultRequestHeaders.Authorization = new("Bearer", PaymentsFactory.ProcessorToken);
        async Task<long> SendAtProcessorAsync(string queryId, string destination)
        {
            var response = await processor.PostAsJsonAsync("/v1/withdrawal/send", new { user_id = "refunds", query_id = queryId, currency = "TON", amount = "690000000", destination });
            response.EnsureSuccessStatusCode();
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("ID").GetInt64();
        }

        // The processor is not synced: the refund is queued (its intent committed) but not sent.
        await factory.SetLagAsync(3600);
        long id;
        string queryId, destination;
        try
        {
            await factory.EngineAsync();
            Assert.Equal("pending", await factory.ScalarAsync<string>(Column("status"), deposit));
            id = await factory.ScalarAsync<long>(Column("id"), deposit);
            queryId = await factory.ScalarAsync<string>(Column("query_id"), deposit);
            destination = await factory.ScalarAsync<string>(Column("destination"), deposit);
        }
        finally
        {
            await factory.SetLagAsync(0);
        }

        // Our request reached the processor, but its answer never reached us (a crash or a timeout loses it so);
        // another withdrawal follows it at the processor.
        var atProcessor = await SendAtProcessorAsync(queryId, destination);
        var other = await SendAtProcessorAsync("someone-else-1", destination);
        var linkOther = await CliAsync("withdrawals", "link", "--id", id.ToString(CultureInfo.InvariantCulture), "--processor-id", other.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(1, linkOther.Code);
        Assert.Contains($"is not refunds/{queryId}", linkOther.Stderr, StringComparison.Ordinal);

        // Asked again: the processor refuses the duplicate query_id; the row is sent (never asked a third time)
        // and its id is found among the processor's withdrawals by its user_id and query_id, then followed.
        await factory.EngineAsync();
        Assert.Equal(atProcessor, await factory.ScalarAsync<long>(Column("processor_id"), deposit));
        await factory.EngineAsync();
        Assert.Equal("completed", await factory.ScalarAsync<string>(Column("status"), deposit));
        Assert.Equal(1, await factory.ScalarAsync<int>(Column("processor_calls"), deposit)); // ours: the refused one (the first stood in above)
        Assert.Equal("refunded", await DecisionAsync(deposit));
        Assert.Single(await factory.ProcessorWithdrawalsAsync(), w => w.GetProperty("query_id").GetString() == queryId);
        Assert.Equal(1, (await CliAsync("withdrawals", "link", "--id", id.ToString(CultureInfo.InvariantCulture), "--processor-id", atProcessor.ToString(CultureInfo.InvariantCulture))).Code);
    }
}

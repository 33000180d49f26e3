using Npgsql;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Tests.Balance;

public sealed class BalanceTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    [Fact]
    public async Task New_partner_has_zero_balance_in_ton_and_no_topup_address_yet()
    {
        var partner = await NewPartnerAsync();

        var balance = await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync();

        Assert.Equal(0m, balance.GetProperty("balance_ton").GetDecimal());
        Assert.Equal("TON", balance.GetProperty("currency").GetString());
        Assert.Equal(JsonValueKind.Null, balance.GetProperty("topup_address").ValueKind);
    }

    [Fact]
    public async Task Balance_order_is_debited_atomically_and_starts_paid()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(2m, "seed");

        var order = await partner.CreatedStarsOrderAsync(method: "balance");

        Assert.Equal("paid", order.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, order.GetProperty("payment_address").ValueKind);
        Assert.Equal(0.417m, order.GetProperty("paid_ton").GetDecimal());
        Assert.Equal(2m - 0.417m, await partner.BalanceTonAsync());
        var ledger = await (await partner.Client.GetAsync("/api/v1/balance/transactions")).AssertOkAsync();
        var debit = ledger.GetProperty("items")[0];
        Assert.Equal("order_payment", debit.GetProperty("type").GetString());
        Assert.Equal(-0.417m, debit.GetProperty("amount_ton").GetDecimal());
        Assert.Equal(1.583m, debit.GetProperty("balance_after_ton").GetDecimal());
        Assert.Equal(order.GetProperty("id").GetInt64(), debit.GetProperty("order_id").GetInt64());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task Insufficient_balance_is_409_and_debits_nothing()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(0.4m, "short");

        await (await partner.CreateStarsAsync(method: "balance")).AssertErrorAsync(409, ErrorCodes.InsufficientBalance);

        Assert.Equal(0.4m, await partner.BalanceTonAsync());
        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE partner_id = $1", partner.PartnerId));
    }

    [Fact]
    public async Task Twenty_concurrent_balance_orders_against_a_balance_for_seven_let_exactly_seven_through()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(7 * 0.417m + 0.2m, "seven");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => partner.CreateStarsAsync(method: "balance")));

        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        foreach (var rejected in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await rejected.AssertErrorAsync(409, ErrorCodes.InsufficientBalance);
        }

        Assert.Equal(0.2m, await partner.BalanceTonAsync());
        Assert.Equal(7, await Db.OrderCountAsync(factory, partner.PartnerId));
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE partner_id = $1 AND balance_after_nanoton < 0", partner.PartnerId));
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task Transactions_are_paged_newest_first_and_filter_by_type()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(3m, "first");
        for (var i = 0; i < 3; i++)
        {
            await partner.CreatedStarsOrderAsync(method: "balance");
        }

        var page = await (await partner.Client.GetAsync("/api/v1/balance/transactions?limit=2&offset=1")).AssertOkAsync();
        Assert.Equal(4, page.GetProperty("total").GetInt32());
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.True(items[0].GetProperty("id").GetInt64() > items[1].GetProperty("id").GetInt64());
        foreach (var name in new[] { "id", "type", "amount_ton", "balance_after_ton", "order_id", "tx_hash", "description", "created_at" })
        {
            Assert.True(items[0].TryGetProperty(name, out _), $"ledger row lacks {name}");
        }

        var adjustments = await (await partner.Client.GetAsync("/api/v1/balance/transactions?type=adjustment")).AssertOkAsync();
        Assert.Equal(1, adjustments.GetProperty("total").GetInt32());
        await (await partner.Client.GetAsync("/api/v1/balance/transactions?type=gift")).AssertErrorAsync(422, ErrorCodes.ValidationError);
        await (await partner.Client.GetAsync("/api/v1/balance/transactions?limit=500")).AssertErrorAsync(422, ErrorCodes.ValidationError);
    }

    [Fact]
    public async Task Failing_a_balance_paid_order_refunds_its_price_once()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(1m, "refund");
        var id = (await partner.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64();

        bool first, second;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            first = await scope.ServiceProvider.GetRequiredService<OrderLifecycle>().FailAndRefundAsync(id, "recipient refused", CancellationToken.None);
        }

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            second = await scope.ServiceProvider.GetRequiredService<OrderLifecycle>().FailAndRefundAsync(id, "again", CancellationToken.None);
        }

        Assert.True(first);
        Assert.False(second);
        var order = await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();
        Assert.Equal("failed", order.GetProperty("status").GetString());
        Assert.Equal("recipient refused", order.GetProperty("failure_reason").GetString());
        Assert.Equal(0.417m, order.GetProperty("refunded_ton").GetDecimal());
        Assert.Equal(1m, await partner.BalanceTonAsync());
        var refunds = await (await partner.Client.GetAsync("/api/v1/balance/transactions?type=refund")).AssertOkAsync();
        Assert.Equal(1, refunds.GetProperty("total").GetInt32());
        Assert.Equal(0.417m, refunds.GetProperty("items")[0].GetProperty("amount_ton").GetDecimal());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task Ledger_rows_cannot_be_changed_or_deleted()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(1m, "immutable");
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();

        foreach (var sql in new[]
                 {
                     "UPDATE balance_ledger SET amount_nanoton = 5 WHERE partner_id = $1",
                     "DELETE FROM balance_ledger WHERE partner_id = $1",
                 })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = partner.PartnerId });
            var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Balance_can_never_go_negative_in_the_database()
    {
        var partner = await NewPartnerAsync();
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE partner_balances SET balance_nanoton = -1 WHERE partner_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = partner.PartnerId });

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
    }
}

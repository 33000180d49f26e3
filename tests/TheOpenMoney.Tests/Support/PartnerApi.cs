using Npgsql;

namespace TheOpenMoney.Tests.Support;

/// <summary>A partner's view of the API in tests: its key, its client, and helpers for common calls.</summary>
public sealed class PartnerApi(ApiFactory factory, long partnerId, string key)
{
    public long PartnerId { get; } = partnerId;

    public string Key { get; } = key;

    public HttpClient Client { get; } = factory.CreateClient(key);

    /// <summary>A new partner, under a Telegram user id no other test uses (<see cref="TestPartners"/>).</summary>
    public static Task<PartnerApi> CreateAsync(ApiFactory factory) => CreateAsync(factory, TestPartners.NextTelegramUserId());

    public static async Task<PartnerApi> CreateAsync(ApiFactory factory, long telegramUserId)
    {
        var issued = await factory.IssueKeyAsync(telegramUserId, $"partner{telegramUserId}");
        return new PartnerApi(factory, issued.PartnerId, issued.Plaintext);
    }

    /// <summary>The same Telegram user's test-mode view (an <c>osk_test_</c> key; its partner is the test twin).</summary>
    public static async Task<PartnerApi> CreateTestAsync(ApiFactory factory, long telegramUserId)
    {
        var issued = await factory.IssueKeyAsync(telegramUserId, $"partner{telegramUserId}", livemode: false);
        return new PartnerApi(factory, issued.PartnerId, issued.Plaintext);
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> CreateStarsAsync(
        string username = "pandus", int quantity = 100, string method = "ton_memo", string? reference = null, string? idempotencyKey = null) =>
        PostJsonAsync(
            "/api/v1/orders/stars",
            JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["recipient_username"] = username,
                ["quantity"] = quantity,
                ["payment_method"] = method,
                ["client_reference"] = reference,
            }),
            idempotencyKey);

    public Task<HttpResponseMessage> CreatePremiumAsync(string username = "pandus", int months = 3, string method = "ton_memo", string? idempotencyKey = null) =>
        PostJsonAsync(
            "/api/v1/orders/premium",
            JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["recipient_username"] = username,
                ["months"] = months,
                ["payment_method"] = method,
            }),
            idempotencyKey);

    public async Task<JsonElement> CreatedStarsOrderAsync(string username = "pandus", int quantity = 100, string method = "ton_memo", string? reference = null) =>
        await (await CreateStarsAsync(username, quantity, method, reference)).AssertOkAsync();

    public Task<HttpResponseMessage> CancelAsync(long orderId, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{orderId}/cancel");
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return Client.SendAsync(request);
    }

    public async Task<decimal> BalanceTonAsync() =>
        (await (await Client.GetAsync("/api/v1/balance")).AssertOkAsync()).GetProperty("balance_ton").GetDecimal();

    /// <summary>The entry of <c>GET /balance</c>'s <c>balances</c> for <paramref name="currency"/> (<c>TON</c>, <c>USDT</c>).</summary>
    public async Task<JsonElement> BalanceInAsync(string currency) =>
        (await (await Client.GetAsync("/api/v1/balance")).AssertOkAsync()).GetProperty("balances").EnumerateArray()
        .Single(b => b.GetProperty("currency").GetString() == currency);

    /// <summary>Credits the partner through the operator path (a ledger adjustment).</summary>
    public async Task CreditAsync(decimal ton, string reference)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            WITH updated AS (
                UPDATE partner_balances SET balance_nanoton = balance_nanoton + $2, updated_at = now() WHERE partner_id = $1 AND currency = 'TON' RETURNING balance_nanoton)
            INSERT INTO balance_ledger (partner_id, type, amount_nanoton, balance_after_nanoton, operator_ref, description, created_at)
            SELECT $1, 'adjustment', $2, balance_nanoton, $3, 'test credit', now() FROM updated
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = PartnerId });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)(ton * 1_000_000_000m) });
        command.Parameters.Add(new NpgsqlParameter { Value = reference });
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}

/// <summary>Direct reads of the database, for asserting what the API must not show.</summary>
public static class Db
{
    public static async Task<long> ScalarAsync(ApiFactory factory, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task ExecuteAsync(ApiFactory factory, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }

    public static Task<long> OrderCountAsync(ApiFactory factory, long partnerId) =>
        ScalarAsync(factory, "SELECT count(*) FROM orders WHERE partner_id = $1", partnerId);

    /// <summary>
    /// The invariant, per currency: each balance row equals the sum of the ledger rows of its currency, and the last such
    /// row's balance_after; never negative; no ledger row without its currency's balance row.
    /// </summary>
    public static async Task AssertBalanceMatchesLedgerAsync(ApiFactory factory, long partnerId)
    {
        foreach (var currency in new[] { "TON", "USDT" })
        {
            var rows = await ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE partner_id = $1 AND currency = $2", partnerId, currency);
            var accounts = await ScalarAsync(factory, "SELECT count(*) FROM partner_balances WHERE partner_id = $1 AND currency = $2", partnerId, currency);
            Assert.True(rows == 0 || accounts == 1, $"{currency}: {rows} ledger rows and {accounts} balance rows");
            var balance = await ScalarAsync(factory, "SELECT coalesce((SELECT balance_nanoton FROM partner_balances WHERE partner_id = $1 AND currency = $2), 0)", partnerId, currency);
            var sum = await ScalarAsync(factory, "SELECT coalesce(sum(amount_nanoton), 0) FROM balance_ledger WHERE partner_id = $1 AND currency = $2", partnerId, currency);
            var last = await ScalarAsync(
                factory, "SELECT coalesce((SELECT balance_after_nanoton FROM balance_ledger WHERE partner_id = $1 AND currency = $2 ORDER BY id DESC LIMIT 1), 0)", partnerId, currency);
            Assert.Equal(sum, balance);
            Assert.Equal(balance, last);
            Assert.True(balance >= 0);
        }
    }
}

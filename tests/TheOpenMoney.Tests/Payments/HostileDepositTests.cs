using TheOpenMoney.Api.Infrastructure.Cli;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// Anyone can send a TON transfer with any comment, and a processor row can be garbage: nothing a row
/// holds may stop payment detection, and a leaked webhook token must not mint TON. Real API, real
/// simulator (raw rows for what its typed model cannot hold), real PostgreSQL.
/// </summary>
public sealed class HostileDepositTests(HostileDepositTests.Factory factory) : IClassFixture<HostileDepositTests.Factory>
{
    public sealed class Factory : PaymentsFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["PaymentProcessor:MaxApplyFailures"] = "3";
        }
    }

    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    private static async Task<string> StatusAsync(PartnerApi partner, long id) =>
        (await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync()).GetProperty("status").GetString()!;

    private static HttpRequestMessage Push(string body, string token = PaymentsFactory.WebhookToken, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/internal/processor/webhook")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<JsonElement> PushAsync(object body) =>
        await (await factory.CreateClient().SendAsync(Push(JsonSerializer.Serialize(body)))).AssertOkAsync();

    /// <summary>One poll, tolerating deposits that are still being retried (the poll then reports them as a failure).</summary>
    private async Task PollToleratingRetriesAsync()
    {
        try
        {
            await factory.PollRoundAsync();
        }
        catch (Exception ex) when (ex.GetType().Name == "DepositsNotSettledException")
        {
            // Some deposits wait for the next poll.
        }
    }

    [Fact]
    public async Task A_nul_in_a_comment_stops_nothing_and_the_honest_payment_after_it_is_applied()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        await factory.EnableWebhookAsync();
        try
        {
            var poison = await factory.DepositAsync(0.01m, "poison\u0000pill");
            var honest = await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());

            await Eventually.WaitAsync(() => StatusAsync(partner, id), s => s == "paid", "the honest payment to arrive by webhook");
            Assert.True(factory.Processor.WebhookEnabled, "every push was answered 200, so the processor keeps pushing");

            await factory.PollAsync();

            Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND kind = 'unmatched'", poison));
            Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND kind = 'order_payment'", honest));
            // The text column holds what it can (U+FFFD), the exact bytes are kept beside it.
            Assert.Equal(1, await Db.ScalarAsync(
                factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND comment = 'poison' || chr(65533) || 'pill' AND comment_original = $2", poison, "poison\0pill"u8.ToArray()));
        }
        finally
        {
            (await factory.Sim.PostAsJsonAsync("/_sim/webhook", new { endpoint = (string?)null })).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task A_nul_in_a_comment_through_the_poller_alone_does_not_block_the_cursor()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();

        await factory.DepositAsync(0.02m, "\0STARS-\0 \u202e\u0007");
        await factory.DepositAsync(0.417m, "\0 " + order.GetProperty("payment_memo").GetString()!.ToLowerInvariant() + " \u0000\r\n");
        await factory.PollAsync();

        Assert.Equal("paid", await StatusAsync(partner, order.GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task A_forged_push_credits_nothing()
    {
        var partner = await NewPartnerAsync();
        var topup = (await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync()).GetProperty("topup_address").GetString()!;
        var order = await partner.CreatedStarsOrderAsync();

        var forgedTopup = await PushAsync(new { deposit_address = topup, time = 1_700_000_000, amount = "1000000000000", user_id = "topups", tx_hash = "forged-1" });
        var forgedPayment = await PushAsync(new
        {
            deposit_address = order.GetProperty("payment_address").GetString(),
            time = 1_700_000_000,
            amount = "417000000",
            comment = order.GetProperty("payment_memo").GetString(),
            user_id = "orders",
            tx_hash = "ab".PadRight(64, 'c'),
        });

        Assert.Equal("unknown", forgedTopup.GetProperty("status").GetString());
        Assert.Equal("unknown", forgedPayment.GetProperty("status").GetString());
        Assert.Equal(0m, await partner.BalanceTonAsync());
        Assert.Equal("pending_payment", await StatusAsync(partner, order.GetProperty("id").GetInt64()));
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash IN ('forged-1', $1)", "ab".PadRight(64, 'c')));
        Assert.Contains(factory.Logs.Lines, l => l.Contains("forged-1 is unknown to the processor", StringComparison.Ordinal));

        await factory.PollAsync();
        Assert.Equal(0m, await partner.BalanceTonAsync());
    }

    /// <summary>
    /// 1,500 USDT (1,500,000,000 base units) sent with a new order's memo to a USDT address of the same processor:
    /// read as nanoTON it would be 1.5 TON, enough to pay the order, or to be refunded in TON.
    /// </summary>
    /// <summary>A TON order, and a USDT deposit of 1,500 USDT (1,500,000,000 base units: "1.5 TON" read the wrong way) with its memo on our USDT orders address.</summary>
    private async Task<(PartnerApi Partner, JsonElement Order, DepositRecord Jetton)> UsdtWithAnOrdersMemoAsync()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        // A USDT order provisions our USDT orders address at the processor.
        await (await partner.PostJsonAsync("/api/v1/orders/stars", """{"recipient_username":"pandus","quantity":100,"payment_currency":"USDT"}""")).AssertOkAsync();
        var jetton = factory.Processor.InjectDeposit(new DepositInjection
        {
            UserId = "orders",
            Currency = ProcessorCurrencies.Usdt,
            Amount = 1_500_000_000,
            Comment = order.GetProperty("payment_memo").GetString(),
            SourceAddress = "UQAUuul9LdYcyJuBHernHo3JkbWTduH_FuEb2H8jCDdGeqzA",
        });
        return (partner, order, jetton);
    }

    [Fact]
    public async Task A_push_of_a_jetton_deposit_is_never_taken_as_ton()
    {
        var (partner, order, jetton) = await UsdtWithAnOrdersMemoAsync();

        // The push names no currency and claims TON-like numbers; the processor's own answer says USDT.
        var pushed = await PushAsync(new { deposit_address = jetton.DepositAddress, time = jetton.Time, amount = "1500000000", user_id = "orders", tx_hash = jetton.TxHash });
        await factory.PollAsync();

        Assert.Equal("applied", pushed.GetProperty("status").GetString());
        Assert.Equal("pending_payment", await StatusAsync(partner, order.GetProperty("id").GetInt64()));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND currency = 'USDT' AND order_nanoton = 0", jetton.TxHash));
        Assert.Equal(0m, await partner.BalanceTonAsync());
        Assert.Equal(1_500_000_000, await Db.ScalarAsync(factory, "SELECT balance_nanoton FROM partner_balances WHERE partner_id = $1 AND currency = 'USDT'", partner.PartnerId));
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task The_poller_reads_each_currencys_history_with_a_cursor_per_user_and_currency()
    {
        var (partner, order, jetton) = await UsdtWithAnOrdersMemoAsync();

        await factory.PollAsync();

        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND currency = 'USDT' AND kind = 'late_payment'", jetton.TxHash));
        Assert.Equal("pending_payment", await StatusAsync(partner, order.GetProperty("id").GetInt64()));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM processor_cursors WHERE processor_user_id = 'orders' AND currency = 'TON'"));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM processor_cursors WHERE processor_user_id = 'orders' AND currency = 'USDT'"));
    }

    [Fact]
    public async Task An_inflated_push_for_a_real_transaction_credits_the_processors_amount_once()
    {
        var partner = await NewPartnerAsync();
        var topup = (await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync()).GetProperty("topup_address").GetString()!;
        var tx = await factory.DepositAsync(0.1m, "hello", address: topup);
        var inflated = new { deposit_address = topup, time = 1_700_000_000, amount = "1000000000000", user_id = "topups", tx_hash = tx, comment = "x" };

        var first = await PushAsync(inflated);
        var again = await PushAsync(inflated);
        await factory.PollAsync();

        Assert.Equal("applied", first.GetProperty("status").GetString());
        Assert.Equal("topup", first.GetProperty("kind").GetString());
        Assert.Equal("known", again.GetProperty("status").GetString());
        Assert.Equal(0.1m, await partner.BalanceTonAsync());
        Assert.Equal(100_000_000, await Db.ScalarAsync(factory, "SELECT amount_nanoton FROM deposits WHERE tx_hash = $1", tx));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE tx_hash = $1", tx));
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task A_push_the_processor_cannot_confirm_now_is_kept_as_a_hint_and_settled_by_the_poller()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var tx = await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());

        // Every attempt of the confirmation (one try and two retries) finds the processor failing.
        await factory.FailNextAsync(3, 502);
        var deferred = await PushAsync(new { tx_hash = tx, amount = "999999999999" });
        await factory.FailNextAsync(0);

        Assert.Equal("deferred", deferred.GetProperty("status").GetString());
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposit_hints WHERE tx_hash = $1 AND settled_at IS NULL", tx));
        Assert.Equal("pending_payment", await StatusAsync(partner, order.GetProperty("id").GetInt64()));

        await factory.PollAsync();

        Assert.Equal("paid", await StatusAsync(partner, order.GetProperty("id").GetInt64()));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposit_hints WHERE tx_hash = $1 AND settled_at IS NOT NULL", tx));
        Assert.Equal(0m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task The_token_is_checked_before_the_media_type_and_the_body()
    {
        var client = factory.CreateClient();

        await (await client.SendAsync(Push("not json at all", token: "wrong", contentType: "text/plain"))).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await client.SendAsync(Push("{", token: "wrong"))).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        var missing = new HttpRequestMessage(HttpMethod.Post, "/internal/processor/webhook") { Content = new StringContent("x", Encoding.UTF8, "text/plain") };
        await (await client.SendAsync(missing)).AssertErrorAsync(401, ErrorCodes.Unauthorized);

        await (await client.SendAsync(Push("{\"tx_hash\":\"abc\"}", contentType: "text/plain"))).AssertErrorAsync(415, ErrorCodes.UnsupportedMediaType);
        await (await client.SendAsync(Push("{\"tx_hash\":\"abc\"}", contentType: "application/problem+json"))).AssertErrorAsync(415, ErrorCodes.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"tx_hash\": null}")]
    [InlineData("{\"tx_hash\": 42}")]
    [InlineData("{\"tx_hash\": \"\"}")]
    [InlineData("{\"tx_hash\": \"has space\"}")]
    [InlineData("{\"tx_hash\": \"nul\\u0000\"}")]
    [InlineData("{\"tx_hash\": \"\\ud800\"}")]
    [InlineData("{\"tx_hash\": \"a\", \"tx_hash\": \"b\"}")]
    public async Task A_push_without_a_plausible_tx_hash_is_422(string body) =>
        await (await factory.CreateClient().SendAsync(Push(body))).AssertErrorAsync(422, ErrorCodes.ValidationError);

    [Fact]
    public async Task A_push_with_a_long_tx_hash_is_422_and_whatever_else_the_body_holds_is_ignored()
    {
        var client = factory.CreateClient();
        await (await client.SendAsync(Push(JsonSerializer.Serialize(new { tx_hash = new string('a', 129) })))).AssertErrorAsync(422, ErrorCodes.ValidationError);

        // Nothing but tx_hash is read: absurd times, amounts, addresses and user ids are no 500s.
        var tx = await factory.DepositAsync(0.05m, "anything \u0000 at all");
        var body = "{\"tx_hash\":\"" + tx + "\",\"time\":9223372036854775807,\"amount\":\"-5\",\"deposit_address\":\"" + new string('x', 200)
            + "\",\"user_id\":\"" + new string('u', 500) + "\",\"comment\":\"\\ud800\",\"extra\":{\"deep\":[1,2,3]}}";
        var receipt = await (await client.SendAsync(Push(body))).AssertOkAsync();
        Assert.Equal("applied", receipt.GetProperty("status").GetString());
        Assert.Equal("unmatched", receipt.GetProperty("kind").GetString());
        Assert.Equal(50_000_000, await Db.ScalarAsync(factory, "SELECT unmatched_nanoton FROM deposits WHERE tx_hash = $1", tx));
    }

    [Fact]
    public async Task Unreadable_history_rows_are_quarantined_and_the_rows_after_them_are_applied()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var address = order.GetProperty("payment_address").GetString()!;
        string Raw(string amount, string time = "1700000000", string tx = "\"q-1\"", string comment = "\"STARS-nope00\"") =>
            $"{{\"deposit_address\":\"{address}\",\"time\":{time},\"amount\":{amount},\"comment\":{comment},\"tx_hash\":{tx}}}";
        string[] garbage =
        [
            Raw("\"-5\"", tx: "\"q-neg\""),
            Raw("\"abc\"", tx: "\"q-abc\""),
            Raw("\"1e12\"", tx: "\"q-exp\""),
            Raw("\"\"", tx: "\"q-empty\""),
            Raw("\" 7\"", tx: "\"q-space\""),
            Raw("\"0x10\"", tx: "\"q-hex\""),
            Raw("\"99999999999999999999\"", tx: "\"q-big\""),
            Raw("\"5\"", time: "9223372036854775807", tx: "\"q-time\""),
            Raw("\"5\"", time: "-100000000000000", tx: "\"q-past\""),
            Raw("\"5\"", tx: "\"q-esc\"", comment: "\"\\ud800\""),
            Raw("\"5\"", tx: $"\"{new string('t', 200)}\""),
            "{\"tx_hash\":\"q-missing\"}",
            "[1,2,3]",
        ];
        foreach (var row in garbage)
        {
            await factory.RawDepositAsync(row);
        }

        var honest = await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();
        await factory.PollAsync();

        Assert.Equal("paid", await StatusAsync(partner, order.GetProperty("id").GetInt64()));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1", honest));
        foreach (var row in garbage)
        {
            Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM quarantined_deposits WHERE raw = $1 AND released_at IS NULL", Encoding.UTF8.GetBytes(row)));
        }

        // Read again by the second poll: the same entries, seen twice, not new ones.
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM quarantined_deposits WHERE tx_hash = 'q-neg' AND seen_count < 2"));
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash LIKE 'q-%'"));
        Assert.Equal(5, await Db.ScalarAsync(factory, "SELECT amount_nanoton FROM quarantined_deposits WHERE tx_hash = 'q-time'"));

        var health = await (await factory.CreateClient().GetAsync("/api/v1/health")).AssertOkAsync();
        var poller = health.GetProperty("components").GetProperty("payment_processor").GetProperty("poller");
        Assert.True(poller.GetProperty("quarantined_deposits").GetInt64() >= garbage.Length);
        Assert.Equal(JsonValueKind.Null, poller.GetProperty("last_error").ValueKind);
        Assert.Contains(factory.Logs.Lines, l => l.Contains("Deposit row quarantined", StringComparison.Ordinal) && l.Contains("q-abc", StringComparison.Ordinal));

        var (code, stdout, _) = await CliAsync("deposits", "quarantined", "--limit", "1000");
        Assert.Equal(0, code);
        var line = Assert.Single(stdout.Split('\n'), l => l.Contains("\tq-esc\t", StringComparison.Ordinal));
        Assert.Contains("comment is not valid text", line, StringComparison.Ordinal);
        Assert.DoesNotContain(stdout, c => c < ' ' && c is not ('\n' or '\t'));

        var id = await Db.ScalarAsync(factory, "SELECT id FROM quarantined_deposits WHERE tx_hash = 'q-abc'");
        var (retryCode, _, retryError) = await CliAsync("deposits", "retry", "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, retryCode);
        Assert.Contains("still unreadable", retryError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deposit_the_database_refuses_fails_alone_in_its_pipelined_page_and_is_quarantined_after_three_tries()
    {
        var partner = await NewPartnerAsync();
        var orders = new List<JsonElement>();
        for (var i = 0; i < 12; i++)
        {
            orders.Add(await partner.CreatedStarsOrderAsync());
        }

        // Refuses the 7th deposit of the page on purpose, in the database itself.
        await Db.ExecuteAsync(factory, """
            CREATE OR REPLACE FUNCTION test_refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.tx_hash LIKE 'refuse-%' THEN RAISE EXCEPTION 'refused on purpose' USING ERRCODE = 'P0001'; END IF;
                RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS test_refuse_marked ON deposits;
            CREATE TRIGGER test_refuse_marked BEFORE INSERT ON deposits FOR EACH ROW EXECUTE FUNCTION test_refuse_marked();
            """);
        try
        {
            var refused = "refuse-" + Guid.NewGuid().ToString("N");
            for (var i = 0; i < orders.Count; i++)
            {
                await factory.DepositAsync(0.417m, orders[i].GetProperty("payment_memo").GetString(), txHash: i == 6 ? refused : null);
            }

            await PollToleratingRetriesAsync();

            for (var i = 0; i < orders.Count; i++)
            {
                Assert.Equal(i == 6 ? "pending_payment" : "paid", await StatusAsync(partner, orders[i].GetProperty("id").GetInt64()));
            }

            Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT failures FROM deposit_failures WHERE tx_hash = $1", refused));
            Assert.Contains(factory.Logs.Lines, l => l.Contains("its connection is discarded", StringComparison.Ordinal));

            await PollToleratingRetriesAsync();
            await PollToleratingRetriesAsync();

            Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM quarantined_deposits WHERE tx_hash = $1 AND released_at IS NULL", refused));
            await factory.PollAsync(); // nothing unsettled any more: the poll succeeds

            await Db.ExecuteAsync(factory, "DROP TRIGGER test_refuse_marked ON deposits");
            var id = await Db.ScalarAsync(factory, "SELECT id FROM quarantined_deposits WHERE tx_hash = $1", refused);
            var (code, stdout, _) = await CliAsync("deposits", "retry", "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));

            Assert.Equal(0, code);
            Assert.Contains("applied as order_payment", stdout, StringComparison.Ordinal);
            Assert.Equal("paid", await StatusAsync(partner, orders[6].GetProperty("id").GetInt64()));
            Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposit_failures WHERE tx_hash = $1", refused));
        }
        finally
        {
            await Db.ExecuteAsync(factory, "DROP TRIGGER IF EXISTS test_refuse_marked ON deposits");
        }
    }

    private async Task<(int Code, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OperatorCli.TryParse(args)!.RunAsync(factory.Services, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}

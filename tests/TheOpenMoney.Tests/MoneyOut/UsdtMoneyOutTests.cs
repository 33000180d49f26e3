using System.Globalization;
using TheOpenMoney.Api.Infrastructure.Cli;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.MoneyOut;

/// <summary>
/// Money out in the currency the money is in, on real PostgreSQL against the processor simulator: an unmatched USDT
/// deposit is refunded in USDT (minus <c>Refunds:NetworkFeeUsdt</c>, USDT dust kept); a partner's USDT balance is
/// withdrawn as USDT after Confirm in Telegram, the TON balance untouched; holds, limits and reversals act on the USDT
/// balance only; the database refuses a refund or a hold in another currency than the money's.
/// </summary>
public sealed class UsdtMoneyOutTests(UsdtMoneyOutTests.Factory factory) : IClassFixture<UsdtMoneyOutTests.Factory>
{
    private const string Destination = "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29";

    public sealed class Factory : MoneyOutFactory
    {
        // A jetton withdrawal is paid from the USDT swept into the hot wallet: swept at once here.
        protected override void ConfigureSimulator(SimulatorOptions options)
        {
            base.ConfigureSimulator(options);
            options.SweepDelaySeconds = 0;
        }

        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Withdrawals:DailyLimitUsdt"] = "20";
        }
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");



    private async Task<(PartnerApi Partner, long TelegramUserId)> PartnerWithUsdtAsync(long units, decimal ton = 3m)
    {
        var telegramUserId = TestPartners.NextTelegramUserId();
        var partner = await PartnerApi.CreateAsync(factory, telegramUserId);
        await partner.CreditAsync(ton, $"usdt-wd-{telegramUserId}");
        var address = (await partner.BalanceInAsync("USDT")).GetProperty("topup_address").GetString()!;
        await factory.UsdtDepositAsync(units, new() { ["deposit_address"] = address });
        Assert.Equal(units, (await partner.BalanceInAsync("USDT")).UnitsOf("amount_units"));
        return (partner, telegramUserId);
    }

    private static async Task<JsonElement> AskUsdtAsync(PartnerApi partner, string amount) =>
        await (await partner.Client.PostAsync("/api/v1/balance/withdrawals", Body($$"""{"amount_usdt": {{amount}}, "destination": "{{Destination}}"}"""))).AssertOkAsync();

    /// <summary>Lets the engine ask in Telegram, presses that withdrawal's Confirm in the partner's chat; the question's text.</summary>
    private async Task<string> ConfirmAsync(long telegramUserId, long withdrawalId)
    {
        await factory.EngineAsync();
        await factory.Bot.WaitForRepliesAsync(telegramUserId);
        var question = factory.Bot.SentTo(telegramUserId).Where(c => c.Status == 200 && c.Body.TryGetProperty("reply_markup", out _))
            .Select(c => (c.Text, Buttons: c.Body.GetProperty("reply_markup").GetProperty("inline_keyboard")[0].EnumerateArray().Select(b => b.GetProperty("callback_data").GetString()!).ToList()))
            .Single(q => q.Buttons.Any(b => b.StartsWith($"wd:{withdrawalId}:", StringComparison.Ordinal)));
        var messageId = await factory.ScalarAsync<long>("SELECT telegram_message_id FROM withdrawals WHERE id = $1", withdrawalId);
        var confirm = question.Buttons.Single(b => b.EndsWith(":c", StringComparison.Ordinal));
        await factory.Bot.WaitForConfirmedAsync(factory.Bot.EnqueuePress(telegramUserId, telegramUserId, messageId, confirm));
        return question.Text;
    }

    private async Task<List<JsonElement>> ProcessorWithdrawalAsync(string queryId) =>
        [.. (await factory.ProcessorWithdrawalsAsync()).Where(w => w.GetProperty("query_id").GetString() == queryId)];

    [Fact]
    public async Task An_unmatched_usdt_deposit_is_refunded_in_usdt_minus_the_usdt_fee_and_usdt_dust_is_kept()
    {
        var refundable = await factory.UnmatchedUsdtAsync(5_000_000);
        var dust = await factory.UnmatchedUsdtAsync(1_000_000);

        factory.ManualClock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(2));
        async Task<long> HotUsdtAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/balance?currency=USDT");
            request.Headers.Authorization = new("Bearer", PaymentsFactory.ProcessorToken);
            using var response = await factory.Sim.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            return long.Parse(JsonDocument.Parse(text).RootElement.GetProperty("balance").GetString()!, CultureInfo.InvariantCulture);
        }

        async Task<long> SentUsdtAsync() => (await factory.ProcessorWithdrawalsAsync())
            .Where(w => w.GetProperty("currency").GetString() == "USDT" && w.GetProperty("status").GetString() == "processed")
            .Sum(w => long.Parse(w.GetProperty("amount").GetString()!, CultureInfo.InvariantCulture));

        var (hotBefore, sentBefore) = (await HotUsdtAsync(), await SentUsdtAsync());
        await factory.EngineAsync();
        await factory.EngineAsync();
        await factory.EngineAsync();

        var refundId = await factory.ScalarAsync<long>("SELECT w.id FROM withdrawals w JOIN deposits d ON d.id = w.deposit_id WHERE d.tx_hash = $1", refundable);
        var sent = Assert.Single(await ProcessorWithdrawalAsync($"refund-{refundId}"));
        Assert.Equal("USDT", sent.GetProperty("currency").GetString());
        Assert.Equal("4700000", sent.GetProperty("amount").GetString());
        Assert.Equal(MoneyOutFactory.Sender, sent.GetProperty("destination").GetString());
        Assert.Equal("processed", sent.GetProperty("status").GetString());
        Assert.Equal(
            "completed USDT 4700000 300000",
            await factory.ScalarAsync<string>("SELECT status || ' ' || currency || ' ' || amount_nanoton || ' ' || fee_nanoton FROM withdrawals WHERE id = $1", refundId));
        Assert.Equal("refunded 0 300000", await factory.ScalarAsync<string>(
            "SELECT decision || ' ' || unmatched_nanoton || ' ' || refund_fee_nanoton FROM deposits WHERE tx_hash = $1", refundable));
        Assert.Equal("none", await factory.ScalarAsync<string>("SELECT coalesce(decision, 'none') FROM deposits WHERE tx_hash = $1", dust));
        Assert.Equal(0L, await factory.ScalarAsync<long>(
            "SELECT count(*) FROM withdrawals w JOIN deposits d ON d.id = w.deposit_id WHERE d.tx_hash = $1", dust));

        // The processor's USDT hot wallet paid it (with any other USDT refund due by now): what it holds of USDT went
        // down by exactly what it sent of USDT.
        var sentNow = await SentUsdtAsync() - sentBefore;
        Assert.True(sentNow >= 4_700_000, $"{sentNow} USDT units sent");
        Assert.Equal(hotBefore - sentNow, await HotUsdtAsync());

        // Once: later runs send nothing more.
        factory.ManualClock.Advance(TimeSpan.FromHours(2));
        await factory.EngineAsync();
        Assert.Single(await ProcessorWithdrawalAsync($"refund-{refundId}"));
    }

    [Fact]
    public async Task The_operator_refunds_a_usdt_deposit_in_usdt_at_once()
    {
        var txHash = await factory.UnmatchedUsdtAsync(2_500_000);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await OperatorCli.TryParse(["deposits", "refund", "--tx-hash", txHash])!.RunAsync(factory.Services, stdout, stderr, CancellationToken.None);

        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("2.2 USDT to " + MoneyOutFactory.Sender, stdout.ToString(), StringComparison.Ordinal);
        await factory.EngineAsync();
        await factory.EngineAsync();
        Assert.Equal("refunded", await factory.ScalarAsync<string>("SELECT decision FROM deposits WHERE tx_hash = $1", txHash));
    }

    [Fact]
    public async Task The_operator_credits_the_usdt_balance_once_per_reference_and_ton_stays()
    {
        var (partner, telegramUserId) = await PartnerWithUsdtAsync(1_000_000);
        async Task<(int Code, string Stdout)> CreditAsync(params string[] amount)
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var code = await OperatorCli.TryParse(
                ["balance", "credit", "--telegram-user-id", telegramUserId.ToString(CultureInfo.InvariantCulture), .. amount, "--ref", $"usdt-credit-{telegramUserId}"])!
                .RunAsync(factory.Services, stdout, stderr, CancellationToken.None);
            return (code, stdout.ToString().Trim());
        }

        Assert.NotEqual(0, (await CreditAsync("--amount-usdt", "2.5", "--amount-ton", "1")).Code);
        Assert.NotEqual(0, (await CreditAsync("--amount-usdt", "2.0000001")).Code);
        Assert.Equal((0, "3.5"), await CreditAsync("--amount-usdt", "2.5"));
        Assert.Equal((0, "3.5"), await CreditAsync("--amount-usdt", "2.5"));
        Assert.Equal(3_500_000, (await partner.BalanceInAsync("USDT")).UnitsOf("amount_units"));
        Assert.Equal(3m, await partner.BalanceTonAsync());
        Assert.Equal(1L, await factory.ScalarAsync<long>(
            "SELECT count(*) FROM balance_ledger WHERE partner_id = $1 AND type = 'adjustment' AND currency = 'USDT' AND amount_nanoton = 2500000", partner.PartnerId));
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task A_usdt_withdrawal_holds_usdt_sends_usdt_once_confirmed_and_leaves_ton_untouched()
    {
        var (partner, user) = await PartnerWithUsdtAsync(10_000_000);

        var asked = await AskUsdtAsync(partner, "4.5");
        var id = asked.GetProperty("id").GetInt64();
        Assert.Equal("awaiting_confirmation", asked.GetProperty("status").GetString());
        Assert.Equal("USDT", asked.GetProperty("currency").GetString());
        Assert.Equal(4.5m, asked.GetProperty("amount_usdt").GetDecimal());
        Assert.Equal("4500000", asked.GetProperty("amount_usdt_units").GetString());
        Assert.Equal("300000", asked.GetProperty("fee_usdt_units").GetString());
        Assert.Equal("0", asked.GetProperty("amount_nanoton").GetString());
        Assert.Equal(5_200_000, (await partner.BalanceInAsync("USDT")).UnitsOf("amount_units"));
        Assert.Equal(3m, await partner.BalanceTonAsync());

        var question = await ConfirmAsync(user, id);
        Assert.Contains("Withdraw 4.5 USDT", question, StringComparison.Ordinal);
        Assert.Contains("The fee is 0.3 USDT", question, StringComparison.Ordinal);
        await factory.EngineAsync();
        await factory.EngineAsync();

        var sent = Assert.Single(await ProcessorWithdrawalAsync($"wd-{id}"));
        Assert.Equal("USDT", sent.GetProperty("currency").GetString());
        Assert.Equal("4500000", sent.GetProperty("amount").GetString());
        var done = await (await partner.Client.GetAsync($"/api/v1/balance/withdrawals/{id}")).AssertOkAsync();
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(sent.GetProperty("tx_hash").GetString(), done.GetProperty("tx_hash").GetString());
        Assert.Equal(5_200_000, (await partner.BalanceInAsync("USDT")).UnitsOf("amount_units"));
        Assert.Equal(3m, await partner.BalanceTonAsync());
        Assert.Equal(1L, await factory.ScalarAsync<long>(
            "SELECT count(*) FROM balance_ledger WHERE partner_id = $1 AND type = 'withdrawal' AND currency = 'USDT' AND amount_nanoton = -4800000", partner.PartnerId));
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
        var events = await Eventually.WaitAsync(
            async () => (await (await partner.Client.GetAsync("/api/v1/events?type=withdrawal.completed")).AssertOkAsync()).GetProperty("items").EnumerateArray().ToList(),
            items => items.Count == 1,
            "withdrawal.completed in the event log");
        var rendered = events[0].GetProperty("data").GetProperty("withdrawal");
        Assert.Equal("USDT", rendered.GetProperty("currency").GetString());
        Assert.Equal("4500000", rendered.GetProperty("amount_usdt_units").GetString());
    }

    [Fact]
    public async Task A_usdt_withdrawal_the_processor_fails_gives_the_usdt_hold_back_and_limits_are_per_currency()
    {
        var (partner, user) = await PartnerWithUsdtAsync(30_000_000, ton: 40m);

        await (await partner.Client.PostAsync("/api/v1/balance/withdrawals", Body($$"""{"amount_usdt": 31, "destination": "{{Destination}}"}""")))
            .AssertErrorAsync(409, ErrorCodes.InsufficientBalance);
        var failing = (await AskUsdtAsync(partner, "12")).GetProperty("id").GetInt64();
        var limited = await (await partner.Client.PostAsync("/api/v1/balance/withdrawals", Body($$"""{"amount_usdt": 9, "destination": "{{Destination}}"}""")))
            .AssertErrorAsync(409, ErrorCodes.WithdrawalLimit);
        Assert.Contains("USDT", limited.GetProperty("error_message").GetString(), StringComparison.Ordinal);
        // The TON limit (500 by default) is its own: 20 USDT asked today does not count against it.
        var ton = await (await partner.Client.PostAsync("/api/v1/balance/withdrawals", Body($$"""{"amount_ton": 25, "destination": "{{Destination}}"}"""))).AssertOkAsync();
        // A TON withdrawal's answer is as it always was: no currency, no USDT fields.
        Assert.False(ton.TryGetProperty("currency", out _));
        Assert.False(ton.TryGetProperty("amount_usdt", out _));
        Assert.Equal(17_700_000, (await partner.BalanceInAsync("USDT")).UnitsOf("amount_units"));

        await ConfirmAsync(user, failing);
        await factory.ControlWithdrawalsAsync(new { fail_next = 1 });
        await factory.EngineAsync();
        await factory.EngineAsync();

        Assert.Equal("failed", await factory.ScalarAsync<string>("SELECT status FROM withdrawals WHERE id = $1", failing));
        Assert.Equal(30_000_000, (await partner.BalanceInAsync("USDT")).UnitsOf("amount_units"));
        Assert.Equal(1L, await factory.ScalarAsync<long>(
            "SELECT count(*) FROM balance_ledger WHERE withdrawal_id = $1 AND type = 'withdrawal_reversal' AND currency = 'USDT' AND amount_nanoton = 12300000", failing));
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    public static TheoryData<string> HostileUsdtBodies => new()
    {
        """{"amount_usdt": 0.5, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_usdt": -3, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_usdt": 1.0000001, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_usdt": 1e30, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_usdt": "2", "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_usdt": 2, "amount_ton": 1, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_usdt": null, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_usdt": 2, "currency": "USDT", "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_usdt": 2, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP2A"}""",
        """{"amount_usdt": 2}""",
    };

    [Theory]
    [MemberData(nameof(HostileUsdtBodies))]
    public async Task A_hostile_usdt_withdrawal_request_is_refused_and_holds_nothing(string body)
    {
        var (partner, _) = await PartnerWithUsdtAsync(5_000_000);

        var response = await partner.Client.PostAsync("/api/v1/balance/withdrawals", Body(body));

        Assert.InRange((int)response.StatusCode, 400, 499);
        await response.AssertErrorAsync((int)response.StatusCode, ErrorCodes.ForStatus((int)response.StatusCode));
        Assert.Equal(5_000_000, (await partner.BalanceInAsync("USDT")).UnitsOf("amount_units"));
        Assert.Equal(3m, await partner.BalanceTonAsync());
        Assert.Equal(0L, await factory.ScalarAsync<long>("SELECT count(*) FROM withdrawals WHERE partner_id = $1", partner.PartnerId));
    }

    [Fact]
    public async Task The_database_refuses_a_refund_or_a_hold_in_another_currency_than_the_moneys()
    {
        var usdtDeposit = await factory.UnmatchedUsdtAsync(3_000_000);
        var tonDeposit = await factory.UnmatchedDepositAsync(2m);
        async Task<string> RefusedAsync(string sql, params object[] parameters) =>
            (await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.ExecuteAsync(factory, sql, parameters))).SqlState;
        const string Refund = """
            INSERT INTO withdrawals (kind, deposit_id, status, amount_nanoton, fee_nanoton, destination, query_id, created_at, updated_at, currency)
            SELECT 'refund', id, 'pending', 1000, 0, 'UQAUuul9LdYcyJuBHernHo3JkbWTduH_FuEb2H8jCDdGeqzA', $2, now(), now(), $3 FROM deposits WHERE tx_hash = $1
            """;

        Assert.Equal("23514", await RefusedAsync(Refund, usdtDeposit, "refund-x-1", "TON"));
        Assert.Equal("23514", await RefusedAsync(Refund, tonDeposit, "refund-x-2", "USDT"));

        var (partner, _) = await PartnerWithUsdtAsync(5_000_000);
        var id = (await AskUsdtAsync(partner, "1")).GetProperty("id").GetInt64();
        Assert.Equal("23514", await RefusedAsync(
            "SELECT ledger_apply($1, 'withdrawal_reversal', 1300000, NULL, NULL, NULL, 'wrong currency', now(), NULL, $2, 'TON')", partner.PartnerId, id));
        Assert.Equal(0L, await factory.ScalarAsync<long>("SELECT count(*) FROM withdrawals WHERE query_id LIKE 'refund-x-%'"));
        Assert.Equal(3m, await partner.BalanceTonAsync());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }
}

/// <summary>
/// USDT turned off (<c>Payments:UsdtMaster</c> empty) with USDT money still on the books: a USDT withdrawal cannot be
/// asked for (422), and one already queued fails without the processor ever being asked (the hold comes back), so the
/// engine never stalls on a currency it no longer names.
/// </summary>
public sealed class UsdtTurnedOffMoneyOutTests(UsdtTurnedOffMoneyOutTests.Factory factory) : IClassFixture<UsdtTurnedOffMoneyOutTests.Factory>
{
    public sealed class Factory : MoneyOutFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Payments:UsdtMaster"] = "";
        }
    }

    [Fact]
    public async Task A_queued_usdt_withdrawal_fails_unsent_with_the_hold_back_and_a_new_one_is_422()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        await partner.CreditAsync(1m, "usdt-off-ton");
        await Db.ExecuteAsync(factory, "SELECT ledger_apply($1, 'adjustment', 5000000, NULL, NULL, 'usdt-off', 'left from before', now(), NULL, NULL, 'USDT')", partner.PartnerId);
        var id = await Db.ScalarAsync(
            factory,
            """
            INSERT INTO withdrawals (kind, partner_id, status, amount_nanoton, fee_nanoton, destination, query_id, confirm_salt, confirm_by,
                                     created_at, updated_at, confirmed_at, next_check_at, livemode, currency)
            VALUES ('partner', $1, 'pending', 2000000, 300000, 'UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29', 'wd-usdt-off', '\x00'::bytea, $2 + interval '1 hour',
                    $2, $2, $2, $2, true, 'USDT')
            RETURNING id
            """,
            partner.PartnerId,
            factory.ManualClock.GetUtcNow() - TimeSpan.FromSeconds(1));
        await Db.ExecuteAsync(factory, "SELECT ledger_apply($1, 'withdrawal', -2300000, NULL, NULL, NULL, 'hold', now(), NULL, $2, 'USDT')", partner.PartnerId, id);

        var refused = await (await partner.Client.PostAsync("/api/v1/balance/withdrawals", new StringContent(
            """{"amount_usdt": 1, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""", Encoding.UTF8, "application/json")))
            .AssertErrorAsync(422, ErrorCodes.ValidationError);
        Assert.Contains("USDT is not offered", refused.GetProperty("error_message").GetString(), StringComparison.Ordinal);

        await factory.EngineAsync();

        Assert.Equal("failed", await factory.ScalarAsync<string>("SELECT status FROM withdrawals WHERE id = $1", id));
        Assert.DoesNotContain(await factory.ProcessorWithdrawalsAsync(), w => w.GetProperty("query_id").GetString() == "wd-usdt-off");
        Assert.Equal(5_000_000, await Db.ScalarAsync(factory, "SELECT balance_nanoton FROM partner_balances WHERE partner_id = $1 AND currency = 'USDT'", partner.PartnerId));
        Assert.Equal(1m, await partner.BalanceTonAsync());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }
}

using System.Globalization;

namespace TheOpenMoney.Tests.MoneyOut;

/// <summary>
/// Partner withdrawals end to end on real PostgreSQL, the processor simulator and a fake Bot API: the hold is
/// taken at once and nothing leaves until Confirm is pressed in the partner's own chat; then exactly the amount
/// is sent once and the withdrawal completes with the processor's tx_hash. Cancel, expiry and a failure at the
/// processor give the hold back in full; a press from anyone else, a second press and a forged callback change
/// nothing.
/// </summary>
public sealed class WithdrawalTests(WithdrawalTests.Factory factory) : IClassFixture<WithdrawalTests.Factory>
{
    private const string Destination = "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29";

    public sealed class Factory : MoneyOutFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Withdrawals:DailyLimitTon"] = "20";
        }
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<(PartnerApi Partner, long TelegramUserId)> FundedPartnerAsync(decimal ton)
    {
        var telegramUserId = TestPartners.NextTelegramUserId();
        var partner = await PartnerApi.CreateAsync(factory, telegramUserId);
        await partner.CreditAsync(ton, $"withdrawals-{telegramUserId}");
        return (partner, telegramUserId);
    }

    private static async Task<JsonElement> AskAsync(PartnerApi partner, decimal amount, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/balance/withdrawals")
        {
            Content = Body($$"""{"amount_ton": {{amount.ToString(CultureInfo.InvariantCulture)}}, "destination": "{{Destination}}"}"""),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await (await partner.Client.SendAsync(request)).AssertOkAsync();
    }

    /// <summary>The question the bot sent for a withdrawal: its message id and the two buttons' callback data.</summary>
    private async Task<(long MessageId, string Confirm, string Cancel)> QuestionAsync(long telegramUserId, long withdrawalId)
    {
        await factory.EngineAsync();
        var sent = await factory.Bot.WaitForRepliesAsync(telegramUserId);
        var markup = sent[^1].Body.GetProperty("reply_markup");
        var buttons = markup.GetProperty("inline_keyboard")[0].EnumerateArray().Select(b => b.GetProperty("callback_data").GetString()!).ToList();
        Assert.Contains(Destination, sent[^1].Text, StringComparison.Ordinal);
        var messageId = await factory.ScalarAsync<long>("SELECT telegram_message_id FROM withdrawals WHERE id = $1", withdrawalId);
        return (messageId, buttons.Single(b => b.EndsWith(":c", StringComparison.Ordinal)), buttons.Single(b => b.EndsWith(":x", StringComparison.Ordinal)));
    }

    private async Task PressAsync(long fromId, long chatId, long messageId, string data)
    {
        var update = factory.Bot.EnqueuePress(fromId, chatId, messageId, data);
        await factory.Bot.WaitForConfirmedAsync(update);
    }

    private Task<string> StatusAsync(long withdrawalId) =>
        factory.ScalarAsync<string>("SELECT status FROM withdrawals WHERE id = $1", withdrawalId);

    private async Task<List<JsonElement>> SentToDestinationAsync() =>
        [.. (await factory.ProcessorWithdrawalsAsync()).Where(w => w.GetProperty("destination").GetString() == Destination && w.GetProperty("query_id").GetString()!.StartsWith("wd-", StringComparison.Ordinal))];

    [Fact]
    public async Task Nothing_leaves_until_confirmed_in_the_partners_chat_then_exactly_the_amount_once_and_it_completes()
    {
        var (partner, user) = await FundedPartnerAsync(10m);
        var asked = await AskAsync(partner, 1.5m, "wd-once-1");
        var id = asked.GetProperty("id").GetInt64();
        Assert.Equal("awaiting_confirmation", asked.GetProperty("status").GetString());
        Assert.Equal("1500000000", asked.GetProperty("amount_nanoton").GetString());
        Assert.Equal("10000000", asked.GetProperty("fee_nanoton").GetString());
        Assert.Equal(8.49m, await partner.BalanceTonAsync());
        Assert.Equal(id, (await AskAsync(partner, 1.5m, "wd-once-1")).GetProperty("id").GetInt64());
        Assert.Equal(8.49m, await partner.BalanceTonAsync());

        var (messageId, confirm, _) = await QuestionAsync(user, id);
        var before = (await SentToDestinationAsync()).Count;
        await factory.EngineAsync();
        Assert.Equal(before, (await SentToDestinationAsync()).Count);

        // Presses that must not count: someone else, another chat, another message, forged data.
        var stranger = TestPartners.NextTelegramUserId();
        await PressAsync(stranger, stranger, messageId, confirm);
        await PressAsync(user, -100123, messageId, confirm);
        await PressAsync(user, user, messageId + 1000, confirm);
        var forged = confirm[..^24] + new string('A', 22) + ":c";
        await PressAsync(user, user, messageId, forged);
        await PressAsync(user, user, messageId, confirm.Replace($"wd:{id}:", $"wd:{id + 1}:", StringComparison.Ordinal));
        Assert.Equal("awaiting_confirmation", await StatusAsync(id));

        await PressAsync(user, user, messageId, confirm);
        Assert.Equal("pending", await StatusAsync(id));
        await PressAsync(user, user, messageId, confirm);
        await factory.EngineAsync();
        await factory.EngineAsync();

        var sent = (await SentToDestinationAsync()).Skip(before).ToList();
        var out1 = Assert.Single(sent);
        Assert.Equal("1500000000", out1.GetProperty("amount").GetString());
        Assert.Equal($"wd-{id}", out1.GetProperty("query_id").GetString());
        var done = await (await partner.Client.GetAsync($"/api/v1/balance/withdrawals/{id}")).AssertOkAsync();
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(out1.GetProperty("tx_hash").GetString(), done.GetProperty("tx_hash").GetString());
        Assert.Equal(8.49m, await partner.BalanceTonAsync());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
        var events = await Eventually.WaitAsync(
            async () => (await (await partner.Client.GetAsync("/api/v1/events?type=withdrawal.completed")).AssertOkAsync()).GetProperty("items").EnumerateArray().ToList(),
            items => items.Count == 1,
            "withdrawal.completed in the event log");
        Assert.Equal(id, events[0].GetProperty("data").GetProperty("withdrawal").GetProperty("id").GetInt64());
        Assert.Contains(factory.Bot.CallsOf("editMessageText"), c => c.Text.Contains("sent, transaction", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancel_expiry_and_a_failure_at_the_processor_each_give_the_hold_back_in_full()
    {
        var (partner, user) = await FundedPartnerAsync(10m);

        var cancelled = (await AskAsync(partner, 1m)).GetProperty("id").GetInt64();
        var (cancelledMessage, cancelledConfirm, _) = await QuestionAsync(user, cancelled);
        var answer = await (await partner.Client.PostAsync($"/api/v1/balance/withdrawals/{cancelled}/cancel", null)).AssertOkAsync();
        Assert.Equal("cancelled", answer.GetProperty("status").GetString());
        await (await partner.Client.PostAsync($"/api/v1/balance/withdrawals/{cancelled}/cancel", null)).AssertOkAsync();
        await PressAsync(user, user, cancelledMessage, cancelledConfirm);
        Assert.Equal("cancelled", await StatusAsync(cancelled));
        Assert.Equal(10m, await partner.BalanceTonAsync());

        var expiring = (await AskAsync(partner, 2m)).GetProperty("id").GetInt64();
        await QuestionAsync(user, expiring);
        factory.ManualClock.Advance(TimeSpan.FromMinutes(11));
        await factory.EngineAsync();
        Assert.Equal("expired", await StatusAsync(expiring));
        Assert.Equal(10m, await partner.BalanceTonAsync());

        var failing = (await AskAsync(partner, 3m)).GetProperty("id").GetInt64();
        var (failingMessage, failingConfirm, _) = await QuestionAsync(user, failing);
        await PressAsync(user, user, failingMessage, failingConfirm);
        await factory.ControlWithdrawalsAsync(new { fail_next = 1 });
        await factory.EngineAsync();
        await factory.EngineAsync();
        Assert.Equal("failed", await StatusAsync(failing));
        Assert.Equal(10m, await partner.BalanceTonAsync());
        await (await partner.Client.PostAsync($"/api/v1/balance/withdrawals/{failing}/cancel", null))
            .AssertErrorAsync(409, ErrorCodes.WithdrawalNotCancellable);
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
        Assert.Equal(3L, await factory.ScalarAsync<long>(
            "SELECT count(*) FROM balance_ledger WHERE partner_id = $1 AND type = 'withdrawal_reversal'", partner.PartnerId));
        await Eventually.WaitAsync(
            async () => (await (await partner.Client.GetAsync("/api/v1/events?type=withdrawal.failed")).AssertOkAsync()).GetProperty("items").GetArrayLength(),
            count => count == 1,
            "withdrawal.failed in the event log");
    }

    [Fact]
    public async Task Limits_balance_and_validation_answer_with_their_codes_and_hold_nothing()
    {
        var (partner, _) = await FundedPartnerAsync(30m);

        await (await partner.Client.PostAsync("/api/v1/balance/withdrawals", Body($$"""{"amount_ton": 40, "destination": "{{Destination}}"}""")))
            .AssertErrorAsync(409, ErrorCodes.InsufficientBalance);
        await AskAsync(partner, 12m);
        await (await partner.Client.PostAsync("/api/v1/balance/withdrawals", Body($$"""{"amount_ton": 9, "destination": "{{Destination}}"}""")))
            .AssertErrorAsync(409, ErrorCodes.WithdrawalLimit);
        Assert.Equal(17.99m, await partner.BalanceTonAsync());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    public static TheoryData<string> HostileBodies => new()
    {
        """{"amount_ton": 0.05, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_ton": -1, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_ton": 1.0000000001, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_ton": 1e30, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_ton": "1", "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_ton": 1, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP2A"}""",
        """{"amount_ton": 1, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29\u0000"}""",
        """{"amount_ton": 1, "destination": "0:45253909e6165d1fb8baad64139e6e37ce7ea1d9d3c157d9456767bdf16bd600"}""",
        """{"amount_ton": 1, "destination": ""}""",
        """{"amount_ton": 1}""",
        """{"destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""",
        """{"amount_ton": 1, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29", "to": "x"}""",
        "{\"amount_ton\": 1, \"destination\": \"" + new string('U', 5000) + "\"}",
        "[]",
        "not json",
    };

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public async Task A_hostile_withdrawal_request_is_refused_and_holds_nothing(string body)
    {
        var (partner, _) = await FundedPartnerAsync(5m);

        var response = await partner.Client.PostAsync("/api/v1/balance/withdrawals", Body(body));

        Assert.InRange((int)response.StatusCode, 400, 499);
        await response.AssertErrorAsync((int)response.StatusCode, ErrorCodes.ForStatus((int)response.StatusCode));
        Assert.Equal(5m, await partner.BalanceTonAsync());
        Assert.Equal(0L, await factory.ScalarAsync<long>("SELECT count(*) FROM withdrawals WHERE partner_id = $1", partner.PartnerId));
    }

    [Fact]
    public async Task Concurrent_requests_never_hold_more_than_the_balance()
    {
        var (partner, _) = await FundedPartnerAsync(5m);

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            partner.Client.PostAsync("/api/v1/balance/withdrawals", Body($$"""{"amount_ton": 1, "destination": "{{Destination}}"}"""))));

        Assert.Equal(4, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        Assert.Equal(0.96m, await partner.BalanceTonAsync());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task Another_partners_withdrawal_is_not_found()
    {
        var (owner, _) = await FundedPartnerAsync(5m);
        var (stranger, _) = await FundedPartnerAsync(1m);
        var id = (await AskAsync(owner, 1m)).GetProperty("id").GetInt64();

        await (await stranger.Client.GetAsync($"/api/v1/balance/withdrawals/{id}")).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await stranger.Client.PostAsync($"/api/v1/balance/withdrawals/{id}/cancel", null)).AssertErrorAsync(404, ErrorCodes.NotFound);
        Assert.Equal(0, (await (await stranger.Client.GetAsync("/api/v1/balance/withdrawals")).AssertOkAsync()).GetProperty("total").GetInt32());
        Assert.Equal(1, (await (await owner.Client.GetAsync("/api/v1/balance/withdrawals")).AssertOkAsync()).GetProperty("total").GetInt32());
    }
}

/// <summary>Without the bot nobody can confirm: asking to withdraw is 503 and holds nothing.</summary>
public sealed class WithdrawalsWithoutBotTests(PaymentsFactory factory) : IClassFixture<PaymentsFactory>
{
    [Fact]
    public async Task Asking_to_withdraw_without_the_bot_is_503_and_holds_nothing()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        await partner.CreditAsync(5m, "no-bot");

        var response = await partner.Client.PostAsync(
            "/api/v1/balance/withdrawals",
            new StringContent("""{"amount_ton": 1, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""", Encoding.UTF8, "application/json"));

        await response.AssertErrorAsync(503, ErrorCodes.ServiceUnavailable);
        Assert.Equal(5m, await partner.BalanceTonAsync());
    }
}

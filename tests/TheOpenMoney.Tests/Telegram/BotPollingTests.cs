using System.Text.Json.Nodes;

namespace TheOpenMoney.Tests.Telegram;

/// <summary>
/// The bot in Polling mode against a fake Bot API: commands end to end (the key it sends works
/// against the REST API), groups, cooldown, 429/409 handling, redelivery, and the token never logged.
/// Every test talks as its own Telegram user, so the tests share one app without interfering. Those users are
/// fixed on purpose (the 910_xxx ids, with group chats numbered after them): each is a party to the conversation
/// the test scripts with the fake Bot API, and they stay below the range <see cref="TestPartners"/> hands out.
/// </summary>
public sealed class BotPollingTests(BotFactory factory) : IClassFixture<BotFactory>
{
    private FakeBotApi Bot => factory.Bot;

    [Fact]
    public async Task Start_up_gets_the_bot_drops_any_webhook_sets_the_command_menu_then_long_polls()
    {
        var updates = await Eventually.WaitAsync(() => Task.FromResult(Bot.CallsOf("getUpdates")), c => c.Count > 0, "the first getUpdates");

        var calls = Bot.Calls.Select(c => c.Method).ToList();
        Assert.True(calls.IndexOf("getMe") < calls.IndexOf("deleteWebhook"));
        Assert.True(calls.IndexOf("deleteWebhook") < calls.IndexOf("setMyCommands"));
        Assert.True(calls.IndexOf("setMyCommands") < calls.IndexOf("getUpdates"));
        Assert.False(Bot.CallsOf("deleteWebhook")[0].Flag("drop_pending_updates"));
        var menu = Bot.CallsOf("setMyCommands")[0].Body.GetProperty("commands").EnumerateArray()
            .Select(c => c.GetProperty("command").GetString()).ToList();
        Assert.Equal(["api", "apitest", "keys", "revoke", "revoketest", "balance", "webhook", "help"], menu);
        var poll = updates[0].Body;
        Assert.Equal(1, poll.GetProperty("timeout").GetInt32());
        Assert.Equal(["message", "callback_query"], poll.GetProperty("allowed_updates").EnumerateArray().Select(u => u.GetString()).ToList());
    }

    [Fact]
    public async Task Private_api_issues_a_key_once_sent_protected_that_authenticates_against_the_api()
    {
        const long user = 910_001;
        Bot.EnqueueMessage(user, "/api", username: "alice");

        var reply = (await Bot.WaitForRepliesAsync(user))[0];

        var key = Assert.Single(FakeBotApi.FullKey().Matches(reply.Text)).Value;
        Assert.True(reply.Flag("protect_content"));
        // Telegram.Bot spells it "Html"; Telegram matches parse_mode case-insensitively.
        Assert.Equal("HTML", reply.Body.GetProperty("parse_mode").GetString(), ignoreCase: true);
        Assert.True(reply.Body.GetProperty("link_preview_options").GetProperty("is_disabled").GetBoolean());
        Assert.Contains($"<code>{key}</code>", reply.Text, StringComparison.Ordinal);
        var partner = await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertOkAsync();
        Assert.Equal(user, partner.GetProperty("telegram_user_id").GetInt64());
        Assert.Equal("alice", partner.GetProperty("username").GetString());
    }

    [Fact]
    public async Task Keys_follow_the_telegram_id_and_the_username_is_kept_up_to_date()
    {
        const long user = 910_017;
        Bot.EnqueueMessage(user, "/api", username: "bob");
        var key = FakeBotApi.FullKey().Match(await Bot.WaitForReplyTextAsync(user)).Value;

        Bot.EnqueueMessage(user, "/keys", username: "bobby");
        await Bot.WaitForRepliesAsync(user, 2);
        Bot.EnqueueMessage(user, "hello", username: "bobby");
        Assert.Contains("/help", await Bot.WaitForReplyTextAsync(user, 3), StringComparison.Ordinal);

        var partner = await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertOkAsync();
        Assert.Equal(user, partner.GetProperty("telegram_user_id").GetInt64());
        Assert.Equal("bobby", partner.GetProperty("username").GetString());
    }

    [Fact]
    public async Task Api_again_with_an_active_key_shows_its_prefix_and_date_and_points_to_revoke()
    {
        const long user = 910_002;
        Bot.EnqueueMessage(user, "/api");
        var key = FakeBotApi.FullKey().Match(await Bot.WaitForReplyTextAsync(user)).Value;

        Bot.EnqueueMessage(user, "/api");
        var second = await Bot.WaitForReplyTextAsync(user, 2);

        Assert.DoesNotMatch(FakeBotApi.FullKey(), second);
        Assert.Contains(key[..10] + "…", second, StringComparison.Ordinal);
        Assert.Contains("/revoke", second, StringComparison.Ordinal);
        Assert.Contains("UTC", second, StringComparison.Ordinal);
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM api_keys k JOIN partners p ON p.id = k.partner_id WHERE p.telegram_user_id = $1", user));
    }

    [Fact]
    public async Task Revoke_makes_the_key_fail_with_401_on_the_next_request()
    {
        const long user = 910_003;
        Bot.EnqueueMessage(user, "/api");
        var key = FakeBotApi.FullKey().Match(await Bot.WaitForReplyTextAsync(user)).Value;
        await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertOkAsync();

        Bot.EnqueueMessage(user, "/revoke");
        var answer = await Bot.WaitForReplyTextAsync(user, 2);

        Assert.Contains("revoked", answer, StringComparison.Ordinal);
        Assert.Contains(key[..10], answer, StringComparison.Ordinal);
        await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);

        Bot.EnqueueMessage(user, "/revoke");
        Assert.Contains("no active key", await Bot.WaitForReplyTextAsync(user, 3), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apitest_issues_a_test_mode_key_and_revoketest_revokes_only_it()
    {
        const long user = 910_019;
        var live = await factory.IssueKeyAsync(user, "tester");
        Bot.EnqueueMessage(user, "/apitest");
        var issued = await Bot.WaitForReplyTextAsync(user);
        var key = System.Text.RegularExpressions.Regex.Match(issued, "osk_test_[0-9A-Za-z]{43}").Value;

        Assert.NotEmpty(key);
        Assert.Contains("sandbox", issued, StringComparison.Ordinal);
        var partner = await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertOkAsync();
        Assert.Equal("test", partner.GetProperty("mode").GetString());
        Assert.Equal(user, partner.GetProperty("telegram_user_id").GetInt64());
        Assert.NotEqual(live.PartnerId, partner.GetProperty("id").GetInt64());

        Bot.EnqueueMessage(user, "/revoketest");
        var answer = await Bot.WaitForReplyTextAsync(user, 2);
        Assert.Contains("revoked", answer, StringComparison.Ordinal);
        Assert.Contains(key[..15], answer, StringComparison.Ordinal);
        await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await factory.CreateClient(live.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();

        Bot.EnqueueMessage(user, "/revoketest");
        var none = await Bot.WaitForReplyTextAsync(user, 3);
        Assert.Contains("no active test-mode key", none, StringComparison.Ordinal);
        Assert.Contains("/apitest", none, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_in_groups_never_reveal_a_key_and_point_to_the_private_chat()
    {
        const long user = 910_004;
        const long group = -100_910_004, supergroup = -100_910_005;
        var existing = await factory.IssueKeyAsync(user, "grouper");

        Bot.EnqueueMessage(user, "/api", chatType: "group", chatId: group);
        Bot.EnqueueMessage(user, "/api@" + FakeBotApi.BotUsername, chatType: "supergroup", chatId: supergroup);
        Bot.EnqueueMessage(user, "/keys", chatType: "supergroup", chatId: supergroup);
        Bot.EnqueueMessage(user, "/balance", chatType: "group", chatId: group);
        var groupReplies = await Bot.WaitForRepliesAsync(group, 2);
        var supergroupReplies = await Bot.WaitForRepliesAsync(supergroup, 2);

        foreach (var call in Bot.CallsAbout(group).Concat(Bot.CallsAbout(supergroup)))
        {
            Assert.DoesNotContain("osk_", call.Raw, StringComparison.Ordinal);
        }

        Assert.All(groupReplies.Concat(supergroupReplies), r => Assert.Contains($"https://t.me/{FakeBotApi.BotUsername}", r.Text, StringComparison.Ordinal));
        // Nothing was issued: the key from before is still the only one, and it still works.
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM api_keys WHERE partner_id = $1", existing.PartnerId));
        await (await factory.CreateClient(existing.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();
    }

    [Fact]
    public async Task Keys_lists_prefix_dates_and_state_but_never_a_full_key()
    {
        const long user = 910_006;
        Bot.EnqueueMessage(user, "/keys");
        Assert.Contains("no keys yet", await Bot.WaitForReplyTextAsync(user), StringComparison.Ordinal);

        Bot.EnqueueMessage(user, "/api");
        var key = FakeBotApi.FullKey().Match(await Bot.WaitForReplyTextAsync(user, 2)).Value;
        Bot.EnqueueMessage(user, "/keys");
        var list = await Bot.WaitForReplyTextAsync(user, 3);

        Assert.Contains($"<code>{key[..10]}…</code> <b>active</b>", list, StringComparison.Ordinal);
        Assert.Contains("last used never", list, StringComparison.Ordinal);
        Assert.DoesNotContain(key, list, StringComparison.Ordinal);
        Assert.DoesNotMatch(FakeBotApi.FullKey(), list);
        Assert.False(Bot.SentTo(user)[^1].Flag("protect_content"));
    }

    [Fact]
    public async Task Balance_answers_with_the_balance_in_ton_and_the_top_up_address()
    {
        const long user = 910_007;
        Bot.EnqueueMessage(user, "/balance");
        Assert.Contains("not a partner yet", await Bot.WaitForReplyTextAsync(user), StringComparison.Ordinal);

        Bot.EnqueueMessage(user, "/api");
        var key = FakeBotApi.FullKey().Match(await Bot.WaitForReplyTextAsync(user, 2)).Value;
        var partnerId = (await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertOkAsync()).GetProperty("id").GetInt64();
        await new PartnerApi(factory, partnerId, key).CreditAsync(25.5m, "bot-balance-test");
        Bot.EnqueueMessage(user, "/balance");
        var answer = await Bot.WaitForReplyTextAsync(user, 3);

        Assert.Contains("<b>25.5 TON</b>", answer, StringComparison.Ordinal);
        Assert.Contains($"<code>{BotFactory.TopupAddress}</code>", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fourth_key_command_within_the_window_is_told_to_slow_down_and_issues_nothing()
    {
        const long user = 910_008;
        Bot.EnqueueMessage(user, "/api");
        Bot.EnqueueMessage(user, "/revoke");
        Bot.EnqueueMessage(user, "/revoke");
        Bot.EnqueueMessage(user, "/api");
        var replies = await Bot.WaitForRepliesAsync(user, 4);

        Assert.Matches(FakeBotApi.FullKey(), replies[0].Text);
        Assert.Contains("Slow down", replies[3].Text, StringComparison.Ordinal);
        Assert.DoesNotMatch(FakeBotApi.FullKey(), replies[3].Text);
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM api_keys k JOIN partners p ON p.id = k.partner_id WHERE p.telegram_user_id = $1", user));
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM api_keys k JOIN partners p ON p.id = k.partner_id WHERE p.telegram_user_id = $1 AND k.revoked_at IS NULL", user));

        // Other commands are not limited.
        Bot.EnqueueMessage(user, "/keys");
        Assert.Contains("revoked", await Bot.WaitForReplyTextAsync(user, 5), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_is_retried_after_the_retry_after_telegram_asked_for()
    {
        var (attempts, _) = await HelpWithFailingRepliesAsync(910_009, 429, retryAfter: 1);

        Assert.Equal([429, 200], attempts.Select(a => a.Status).ToList());
        AssertGap(attempts[0], attempts[1], TimeSpan.FromSeconds(1));
        Assert.Equal(attempts[0].Text, attempts[1].Text);
    }

    [Fact]
    public async Task A_5xx_is_retried_with_backoff_and_the_message_is_delivered_once()
    {
        const long user = 910_018;
        var (attempts, update) = await HelpWithFailingRepliesAsync(user, 500, times: 2);

        Assert.Equal([500, 500, 200], attempts.Select(a => a.Status).ToList());
        Assert.All(attempts, a => Assert.Equal(attempts[0].Text, a.Text));
        // Backoff from RetryBaseDelay (50 ms, jittered down to half of it), doubling.
        AssertGap(attempts[0], attempts[1], TimeSpan.FromMilliseconds(25));
        AssertGap(attempts[1], attempts[2], TimeSpan.FromMilliseconds(50));
        // Once the poller confirms the update its handling is over: no later send for it can come.
        await Bot.WaitForConfirmedAsync(update);
        Assert.Single(Bot.SentTo(user), a => a.Status == 200);
    }

    [Fact]
    public async Task A_429_on_getUpdates_pauses_polling_for_the_retry_after()
    {
        var before = Bot.CallsOf("getUpdates").Count;
        Bot.FailNext("getUpdates", 429, retryAfter: 1);

        var polls = await Eventually.WaitAsync(
            () => Task.FromResult(Bot.CallsOf("getUpdates").Skip(before).SkipWhile(c => c.Status != 429).ToList()),
            c => c.Count >= 2,
            "a getUpdates after the 429");

        AssertGap(polls[0], polls[1], TimeSpan.FromSeconds(1));
        Assert.Contains(factory.Logs.Lines, l => l.Contains("Telegram asked the poller to slow down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_409_conflict_is_logged_as_an_error_and_polling_goes_on()
    {
        const long user = 910_010;
        var before = Bot.CallsOf("getUpdates").Count;
        Bot.FailNext("getUpdates", 409, times: 3);
        await Eventually.WaitAsync(
            () => Task.FromResult(Bot.CallsOf("getUpdates").Skip(before).Count(c => c.Status == 409)),
            n => n == 3,
            "three conflicts served");

        Bot.EnqueueMessage(user, "/help");
        Assert.Contains("/api", await Bot.WaitForReplyTextAsync(user), StringComparison.Ordinal);

        Assert.Contains(factory.Logs.Lines, l => l.StartsWith("Error ", StringComparison.Ordinal) && l.Contains("conflict", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_update_delivered_again_is_handled_once()
    {
        const long user = 910_011, other = 910_012;
        var update = Bot.EnqueueMessage(user, "/help");
        await Bot.WaitForRepliesAsync(user);

        Bot.Redeliver(update);
        Bot.EnqueueMessage(other, "/help");
        await Bot.WaitForRepliesAsync(other);

        Assert.Single(Bot.SentTo(user));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM telegram_updates WHERE update_id = $1", update["update_id"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Commands_for_another_bot_are_ignored_and_commands_for_this_bot_are_answered()
    {
        const long user = 910_013;
        Bot.EnqueueMessage(user, "/api@some_other_bot");
        Bot.EnqueueMessage(user, "/HELP@" + FakeBotApi.BotUsername.ToUpperInvariant() + " please");

        var replies = await Bot.WaitForRepliesAsync(user);

        Assert.Contains("/revoke", replies[0].Text, StringComparison.Ordinal);
        Assert.Single(Bot.SentTo(user));
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM partners WHERE telegram_user_id = $1", user));
    }

    [Fact]
    public async Task Names_and_values_are_html_escaped_in_replies()
    {
        const long user = 910_014;
        Bot.EnqueueMessage(user, "/start", firstName: "<b>Eve</b> & \"co\"");

        var text = await Bot.WaitForReplyTextAsync(user);

        Assert.Contains("Hello, &lt;b&gt;Eve&lt;/b&gt; &amp; &quot;co&quot;!", text, StringComparison.Ordinal);
        Assert.Contains("https://api.example.test/swagger", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_posted_in_a_group_is_deleted_and_never_repeated()
    {
        const long user = 910_015, group = -100_910_015;
        var leaked = "osk_" + new string('q', 43);
        var update = Bot.EnqueueMessage(user, "here is my key " + leaked, chatType: "supergroup", chatId: group);

        var reply = (await Bot.WaitForRepliesAsync(group))[0];

        var delete = Assert.Single(Bot.CallsOf("deleteMessage"), c => c.Body.GetProperty("chat_id").GetInt64() == group);
        Assert.Equal(update["message"]!["message_id"]!.GetValue<long>(), delete.Body.GetProperty("message_id").GetInt64());
        Assert.DoesNotContain("osk_", reply.Raw, StringComparison.Ordinal);
        Assert.Contains("revoke", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_reports_the_bot_mode_username_and_last_successful_call()
    {
        var bot = await Eventually.WaitAsync(
            async () => (await (await factory.CreateClient().GetAsync("/api/v1/health")).AssertOkAsync()).GetProperty("components").GetProperty("bot"),
            b => b.GetProperty("status").GetString() == "ok",
            "a healthy bot");

        Assert.Equal("polling", bot.GetProperty("mode").GetString());
        Assert.Equal(FakeBotApi.BotUsername, bot.GetProperty("bot_username").GetString());
        Assert.Equal(JsonValueKind.String, bot.GetProperty("last_success_at").ValueKind);
        Assert.True(bot.GetProperty("polling_leader").GetBoolean());
    }

    [Fact]
    public async Task Health_shows_the_kind_of_the_last_error_and_never_its_text()
    {
        Bot.FailNext("getUpdates", 502, description: "Bad Gateway: upstream exploded");

        var bot = await Eventually.WaitAsync(
            async () => (await (await factory.CreateClient().GetAsync("/api/v1/health")).AssertOkAsync()).GetProperty("components").GetProperty("bot"),
            b => b.GetProperty("last_error").GetString() == "server_error",
            "the 502 in health");

        Assert.Equal(JsonValueKind.String, bot.GetProperty("last_error_at").ValueKind);
        Assert.DoesNotContain("exploded", bot.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("getUpdates", bot.GetRawText(), StringComparison.Ordinal);
        // The details are in the log.
        Assert.Contains(factory.Logs.Lines, l => l.Contains("upstream exploded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_bot_token_never_appears_in_logs_or_health_even_when_calls_fail()
    {
        const long user = 910_016;
        // Failures of every kind, one of them echoing the token back the way a proxy might.
        Bot.FailNext("getUpdates", 502, description: $"Bad Gateway for /bot{BotFactory.Token}/getUpdates");
        Bot.FailNext("getUpdates", 409);
        Bot.FailNext("sendMessage", 500, when: b => b.GetProperty("chat_id").GetInt64() == user);
        Bot.FailNext("sendMessage", 429, retryAfter: 1, when: b => b.GetProperty("chat_id").GetInt64() == user);
        Bot.EnqueueMessage(user, "/api");
        var key = FakeBotApi.FullKey().Match(await Bot.WaitForReplyTextAsync(user)).Value;
        await Eventually.WaitAsync(() => Task.FromResult(Bot.CallsOf("getUpdates").Count(c => c.Status == 502)), n => n == 1, "the 502");

        var health = await (await factory.CreateClient().GetAsync("/api/v1/health")).Content.ReadAsStringAsync();
        var lines = factory.Logs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("Bot API", StringComparison.Ordinal));
        var secretPart = BotFactory.Token[(BotFactory.Token.IndexOf(':', StringComparison.Ordinal) + 1)..];
        foreach (var secret in new[] { BotFactory.Token, secretPart, key })
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, health, StringComparison.Ordinal);
        }
    }

    /// <summary>Has the next <paramref name="times"/> replies to <paramref name="user"/> fail with <paramref name="status"/>, sends /help, and returns every attempt at the reply once one is delivered.</summary>
    /// <summary>Sends /help as <paramref name="user"/> with its replies failing first; every attempt once one succeeded, and the update.</summary>
    private async Task<(IReadOnlyList<FakeBotApi.BotCall> Attempts, JsonObject Update)> HelpWithFailingRepliesAsync(long user, int status, int times = 1, int? retryAfter = null)
    {
        Bot.FailNext("sendMessage", status, times, retryAfter, when: b => b.GetProperty("chat_id").GetInt64() == user);
        var update = Bot.EnqueueMessage(user, "/help");
        await Bot.WaitForRepliesAsync(user);
        return (Bot.SentTo(user), update);
    }

    /// <summary>
    /// The second call came at least <paramref name="atLeast"/> after the first, less 5 ms: the times are the fake server's
    /// wall clock when each request arrived, while the backoff is a timer counting whole milliseconds (a 50 ms backoff was
    /// once seen as 49.8 ms there, and a job's 50 ms wait as 48.8 ms).
    /// </summary>
    private static void AssertGap(FakeBotApi.BotCall first, FakeBotApi.BotCall next, TimeSpan atLeast) =>
        Assert.True(next.At - first.At >= atLeast - TimeSpan.FromMilliseconds(5), $"{next.Method} again after {(next.At - first.At).TotalMilliseconds} ms");
}

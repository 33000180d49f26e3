namespace TheOpenMoney.Tests.Telegram;

/// <summary>The bot in Webhook mode: the secret header, once-only handling of a redelivered update, 200 when a command fails.</summary>
public sealed class BotWebhookTests(WebhookBotFactory factory) : IClassFixture<WebhookBotFactory>
{
    private FakeBotApi Bot => factory.Bot;

    [Fact]
    public async Task Start_up_sets_the_webhook_with_the_secret_and_never_polls()
    {
        await Eventually.WaitAsync(() => Task.FromResult(Bot.CallsOf("setMyCommands")), c => c.Count > 0, "the command menu");

        var setWebhook = Assert.Single(Bot.CallsOf("setWebhook")).Body;
        Assert.Equal(WebhookBotFactory.WebhookUrl, setWebhook.GetProperty("url").GetString());
        Assert.Equal(WebhookBotFactory.Secret, setWebhook.GetProperty("secret_token").GetString());
        Assert.Equal(["message", "callback_query"], setWebhook.GetProperty("allowed_updates").EnumerateArray().Select(u => u.GetString()).ToList());
        Assert.Empty(Bot.CallsOf("getUpdates"));
        Assert.Empty(Bot.CallsOf("deleteWebhook"));
    }

    [Fact]
    public async Task A_wrong_or_missing_secret_is_401_and_nothing_is_handled()
    {
        const long user = 920_001;
        var update = Bot.NewMessageUpdate(user, "/help");
        var client = factory.CreateClient();

        await (await BotWebhook.PostAsync(client, update, "wrong-secret")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await BotWebhook.PostAsync(client, update, WebhookBotFactory.Secret + "x")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        await (await BotWebhook.PostAsync(client, update, null)).AssertErrorAsync(401, ErrorCodes.Unauthorized);

        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM telegram_updates WHERE update_id = $1", update["update_id"]!.GetValue<long>()));
        Assert.Empty(Bot.SentTo(user));
    }

    [Fact]
    public async Task The_same_update_delivered_twice_is_handled_exactly_once()
    {
        const long user = 920_002;
        var update = Bot.NewMessageUpdate(user, "/api");
        var client = factory.CreateClient();

        var first = await (await BotWebhook.PostAsync(client, update, WebhookBotFactory.Secret)).AssertOkAsync();
        var second = await (await BotWebhook.PostAsync(client, update, WebhookBotFactory.Secret)).AssertOkAsync();

        Assert.True(first.GetProperty("handled").GetBoolean());
        Assert.False(second.GetProperty("handled").GetBoolean());
        var sent = Assert.Single(Bot.SentTo(user));
        var key = FakeBotApi.FullKey().Match(sent.Text).Value;
        Assert.True(sent.Flag("protect_content"));
        await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertOkAsync();
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM api_keys k JOIN partners p ON p.id = k.partner_id WHERE p.telegram_user_id = $1", user));
    }

    [Fact]
    public async Task The_webhook_answers_200_when_the_command_fails()
    {
        const long user = 920_003;
        Bot.FailNext("sendMessage", 400, when: b => b.GetProperty("chat_id").GetInt64() == user);
        var update = Bot.NewMessageUpdate(user, "/help");

        await (await BotWebhook.PostAsync(factory.CreateClient(), update, WebhookBotFactory.Secret)).AssertOkAsync();

        Assert.Equal([400], Bot.SentTo(user).Select(c => c.Status).ToList());
        Assert.Contains(factory.Logs.Lines, l => l.Contains($"Handling Telegram update {update["update_id"]} failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_undelivered_key_is_revoked_so_the_next_api_issues_a_fresh_one()
    {
        const long user = 920_004;
        Bot.FailNext("sendMessage", 403, description: "Forbidden: bot was blocked by the user", when: b => b.GetProperty("chat_id").GetInt64() == user);

        await (await BotWebhook.PostAsync(factory.CreateClient(), Bot.NewMessageUpdate(user, "/api"), WebhookBotFactory.Secret)).AssertOkAsync();
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM api_keys k JOIN partners p ON p.id = k.partner_id WHERE p.telegram_user_id = $1 AND k.revoked_at IS NULL", user));

        await (await BotWebhook.PostAsync(factory.CreateClient(), Bot.NewMessageUpdate(user, "/api"), WebhookBotFactory.Secret)).AssertOkAsync();
        var key = FakeBotApi.FullKey().Match(Bot.SentTo(user)[^1].Text).Value;
        await (await factory.CreateClient(key).GetAsync("/api/v1/partner")).AssertOkAsync();
    }
}

/// <summary>No token: the bot is off, says so in health, and its webhook route does not exist.</summary>
public sealed class BotDisabledTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Without_a_token_the_bot_is_disabled_and_health_says_so()
    {
        var data = await HealthReports.CompletedAsync(factory);

        Assert.True(data.GetProperty("status").GetString() == "ok", data.GetRawText());
        var bot = data.GetProperty("components").GetProperty("bot");
        Assert.Equal("ok", bot.GetProperty("status").GetString());
        Assert.Equal("disabled", bot.GetProperty("mode").GetString());
        Assert.Contains("BotToken", bot.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_webhook_route_is_404_outside_webhook_mode()
    {
        var update = new System.Text.Json.Nodes.JsonObject { ["update_id"] = 1 };

        await (await BotWebhook.PostAsync(factory.CreateClient(), update, "anything")).AssertErrorAsync(404, ErrorCodes.NotFound);
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using TheOpenMoney.Api.Infrastructure.Background;
using TheOpenMoney.Api.Telegram;

namespace TheOpenMoney.Tests.Telegram;

/// <summary>The bot's pure parts: HTML escaping, command parsing, backoff, options, a transport failure of the client.</summary>
public sealed class BotUnitTests
{
    [Fact]
    public void Every_interpolated_value_is_escaped_and_literal_markup_is_kept()
    {
        var name = "<i>x</i> & \"y\"";

        var html = HtmlText.Format($"<b>Hi</b> {name}, {new RawHtml("<code>raw</code>")} {42.5m}");

        Assert.Equal("<b>Hi</b> &lt;i&gt;x&lt;/i&gt; &amp; &quot;y&quot;, <code>raw</code> 42.5", html);
        Assert.Equal("", HtmlText.Escape(null));
        Assert.Equal("plain", HtmlText.Escape("plain"));
    }

    [Theory]
    [InlineData("/api", "tom_bot", "api")]
    [InlineData("/api@tom_bot", "tom_bot", "api")]
    [InlineData("/api@TOM_Bot", "tom_bot", "api")]
    [InlineData("  /start deep-link-payload", "tom_bot", "start")]
    [InlineData("/keys\nmore", null, "keys")]
    [InlineData("/api@other_bot", "tom_bot", null)]
    [InlineData("/api@other_bot", null, "api")]
    [InlineData("api", "tom_bot", null)]
    [InlineData("/", "tom_bot", null)]
    [InlineData("/@tom_bot", "tom_bot", null)]
    public void Commands_are_parsed_with_or_without_the_bot_username(string text, string? botUsername, string? expected)
    {
        Assert.Equal(expected, BotCommandHandler.ParseCommand(text, botUsername));
    }

    [Fact]
    public void Backoff_grows_is_capped_has_jitter_and_resets()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

        var delays = Enumerable.Range(0, 10).Select(_ => backoff.Next()).ToList();

        Assert.InRange(delays[0].TotalMilliseconds, 50, 100);
        Assert.InRange(delays[2].TotalMilliseconds, 200, 400);
        Assert.All(delays, d => Assert.True(d <= TimeSpan.FromSeconds(1)));
        Assert.All(delays.Skip(5), d => Assert.InRange(d.TotalMilliseconds, 500, 1000));
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalMilliseconds, 50, 100);
    }

    [Fact]
    public void Mode_is_disabled_without_a_token_and_polling_by_default_with_one()
    {
        Assert.Equal(TelegramMode.Disabled, new TelegramOptions { Mode = TelegramMode.Polling }.EffectiveMode);
        Assert.Equal(TelegramMode.Disabled, new TelegramOptions { BotToken = " ", Mode = TelegramMode.Webhook }.EffectiveMode);
        Assert.Equal(TelegramMode.Polling, new TelegramOptions { BotToken = "1:abc" }.EffectiveMode);
        Assert.Equal(TelegramMode.Webhook, new TelegramOptions { BotToken = "1:abc", Mode = TelegramMode.Webhook, WebhookSecret = "s" }.EffectiveMode);
        Assert.Equal(TelegramMode.Disabled, new TelegramOptions { BotToken = "1:abc", Mode = TelegramMode.Disabled }.EffectiveMode);
    }

    [Fact]
    public void Settings_that_cannot_work_are_refused_at_start_up()
    {
        Assert.Null(new TelegramOptions().Problem());
        Assert.Null(new TelegramOptions { BotToken = "123:AA-b_c" }.Problem());
        Assert.Contains("BotToken", new TelegramOptions { BotToken = "123/../x" }.Problem(), StringComparison.Ordinal);
        Assert.Contains("BotToken", new TelegramOptions { BotToken = "12345678901234567:AA" }.Problem(), StringComparison.Ordinal);
        Assert.Contains("LongPollTimeout", new TelegramOptions { BotToken = "1:a", LongPollTimeout = TimeSpan.FromSeconds(51) }.Problem(), StringComparison.Ordinal);
        Assert.Contains("WebhookSecret", new TelegramOptions { BotToken = "1:a", Mode = TelegramMode.Webhook }.Problem(), StringComparison.Ordinal);
        Assert.Contains("WebhookSecret", new TelegramOptions { BotToken = "1:a", Mode = TelegramMode.Webhook, WebhookSecret = "has space" }.Problem(), StringComparison.Ordinal);
        Assert.Contains("ApiBaseUrl", new TelegramOptions { ApiBaseUrl = "not a url" }.Problem(), StringComparison.Ordinal);
        // Telegram.Bot would drop a path silently, so one is refused instead.
        Assert.Null(new TelegramOptions { ApiBaseUrl = "http://127.0.0.1:8088/" }.Problem());
        Assert.Contains("ApiBaseUrl", new TelegramOptions { ApiBaseUrl = "http://127.0.0.1:8088/telegram" }.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transport_failure_names_the_method_but_never_the_token_or_url()
    {
        const string token = "987654:Secret-Token_value";
        var settings = new TelegramOptions { BotToken = token, ApiBaseUrl = "http://127.0.0.1:1", MaxAttempts = 1 };
        var status = new BotStatus();
        using var factory = new OneClientFactory(settings);
        var client = new RetryingBotClient(factory, Options.Create(settings), status, TimeProvider.System, NullLogger<RetryingBotClient>.Instance);

        // No answer at all: a RequestException (not an ApiRequestException), without a status code.
        var error = await Assert.ThrowsAsync<RequestException>(() => client.SendMessage(1, "hi"));

        Assert.Null(error.HttpStatusCode);
        Assert.Equal(BotErrorKind.Transport, status.Snapshot().LastError);
        Assert.True(BotErrorKind.Transport.IsTransient());
        Assert.Contains("sendMessage", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret-Token", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>An <see cref="IHttpClientFactory"/> with one client, set up as the app sets up the bot's.</summary>
    internal sealed class OneClientFactory(TelegramOptions settings) : IHttpClientFactory, IDisposable
    {
        private readonly HttpClient _client = Create(settings);

        public HttpClient CreateClient(string name) => _client;

        public void Dispose() => _client.Dispose();

        private static HttpClient Create(TelegramOptions settings)
        {
            var client = new HttpClient();
            RetryingBotClient.Configure(client, settings);
            return client;
        }
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using TheOpenMoney.Api.Telegram;

namespace TheOpenMoney.Tests.Telegram;

/// <summary>
/// The call policy around Telegram.Bot (<see cref="RetryingBotClient"/>), without the app, against the
/// fake Bot API over real sockets: what is retried and how often, what fails at once, and the error
/// kind health is given.
/// </summary>
public sealed class RetryingBotClientTests : IAsyncLifetime
{
    private const int MaxAttempts = 3;

    private readonly BotStatus _status = new();
    private readonly List<IDisposable> _disposables = [];
    private FakeBotApi _bot = null!;

    public async Task InitializeAsync() => _bot = await FakeBotApi.StartAsync(BotFactory.Token);

    public async Task DisposeAsync()
    {
        _disposables.ForEach(d => d.Dispose());
        await _bot.DisposeAsync();
    }

    [Theory]
    [InlineData(400, "bad_request", 1, false)]
    [InlineData(401, "unauthorized", 1, true)]
    [InlineData(403, "forbidden", 1, false)]
    [InlineData(404, "not_found", 1, true)]
    [InlineData(409, "conflict", 1, true)]
    [InlineData(429, "rate_limited", MaxAttempts, true)]
    [InlineData(500, "server_error", MaxAttempts, true)]
    [InlineData(502, "server_error", MaxAttempts, true)]
    public async Task Failures_are_recorded_by_kind_and_only_transient_ones_are_retried_up_to_max_attempts(
        int status, string kind, int attempts, bool degradesHealth)
    {
        _bot.FailNext("sendMessage", status, times: 10, retryAfter: status == 429 ? 0 : null);

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => NewClient(_bot.Url).SendMessage(7, "hi"));

        Assert.Equal(status, error.ErrorCode);
        Assert.Equal(attempts, _bot.CallsOf("sendMessage").Count);
        var snapshot = _status.Snapshot();
        Assert.Equal(kind, snapshot.LastError?.ToText());
        Assert.Equal(degradesHealth, snapshot.LastServiceErrorAt is not null);
    }

    [Fact]
    public async Task A_retry_after_over_a_minute_fails_the_call_at_once()
    {
        _bot.FailNext("sendMessage", 429, retryAfter: 61);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => NewClient(_bot.Url).SendMessage(7, "hi"));

        Assert.Equal(429, error.ErrorCode);
        Assert.Equal(61, error.Parameters?.RetryAfter);
        Assert.Single(_bot.CallsOf("sendMessage"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData(500)]
    [InlineData(429)]
    public async Task GetUpdates_makes_one_attempt_and_leaves_the_pacing_to_the_receiver(int status)
    {
        _bot.FailNext("getUpdates", status, retryAfter: status == 429 ? 1 : null);

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => NewClient(_bot.Url).GetUpdates(timeout: 1));

        Assert.Equal(status, error.ErrorCode);
        Assert.Single(_bot.CallsOf("getUpdates"));
    }

    [Fact]
    public async Task The_token_is_cut_out_of_what_telegram_says()
    {
        var secret = BotFactory.Token[(BotFactory.Token.IndexOf(':', StringComparison.Ordinal) + 1)..];
        _bot.FailNext("sendMessage", 400, description: $"Bad Request: no /bot{BotFactory.Token}/sendMessage here");

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => NewClient(_bot.Url).SendMessage(7, "hi"));

        Assert.Contains("sendMessage", error.Message, StringComparison.Ordinal);
        Assert.Contains("Bad Request", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_answer_that_is_no_bot_api_envelope_is_classed_by_its_http_status_and_retried_when_5xx()
    {
        await using var proxy = await FakeHttpServer.StartAsync();
        proxy.RespondJson(502, "<html><body>502 Bad Gateway</body></html>");

        var error = await Assert.ThrowsAsync<RequestException>(() => NewClient(proxy.Url).SendMessage(7, "hi"));

        Assert.Equal(System.Net.HttpStatusCode.BadGateway, error.HttpStatusCode);
        Assert.Equal(MaxAttempts, proxy.Requests);
        Assert.Equal(BotErrorKind.ServerError, _status.Snapshot().LastError);
    }

    [Fact]
    public async Task No_answer_within_the_request_timeout_is_a_timeout()
    {
        await using var silent = await FakeHttpServer.StartAsync();
        silent.Handler = context => Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);

        var error = await Assert.ThrowsAsync<RequestException>(
            () => NewClient(silent.Url, requestTimeout: TimeSpan.FromMilliseconds(300), maxAttempts: 1).SendMessage(7, "hi"));

        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
        Assert.Equal(BotErrorKind.Timeout, _status.Snapshot().LastError);
    }

    private RetryingBotClient NewClient(string apiBaseUrl, TimeSpan? requestTimeout = null, int maxAttempts = MaxAttempts)
    {
        var settings = new TelegramOptions
        {
            BotToken = BotFactory.Token,
            ApiBaseUrl = apiBaseUrl,
            MaxAttempts = maxAttempts,
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10),
            LongPollTimeout = TimeSpan.FromSeconds(1),
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(40),
        };
        var http = new BotUnitTests.OneClientFactory(settings);
        _disposables.Add(http);
        return new RetryingBotClient(http, Options.Create(settings), _status, TimeProvider.System, NullLogger<RetryingBotClient>.Instance);
    }
}

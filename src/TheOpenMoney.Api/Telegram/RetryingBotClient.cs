using Telegram.Bot;
using Telegram.Bot.Args;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Requests;
using Telegram.Bot.Requests.Abstractions;
using Telegram.Bot.Types;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// The app's <see cref="ITelegramBotClient"/>: Telegram.Bot's <see cref="TelegramBotClient"/> (over the
/// named HttpClient <see cref="HttpClientName"/>, pointed at <c>Telegram:ApiBaseUrl</c>) with our call
/// policy around every request, so the library's extension methods (<c>GetMe</c>, <c>SendMessage</c> …)
/// all go through it:
/// <list type="bullet">
/// <item><b>Retries.</b> <c>getUpdates</c> makes one attempt (the receiver's loop owns its pacing). Every
/// other call makes up to <see cref="TelegramOptions.MaxAttempts"/> attempts: after a 429 it waits the
/// <c>retry_after</c> Telegram asked for (up to a minute; a longer one fails the call); after a transport
/// failure, a timeout, an unreadable answer or a 5xx it waits an exponential backoff with jitter; other
/// errors (400, 403, 409 …) are not retried. The library's own 429 retry is switched off, so this is the
/// one policy and <c>MaxAttempts</c> is the total.</item>
/// <item><b>Health.</b> Each answer is recorded in <see cref="BotStatus"/>: a success, or the
/// <see cref="BotErrorKind"/> of a failure (never its text).</item>
/// <item><b>No token anywhere.</b> The token is in every request URL. The HttpClient has no logging
/// handlers; the library's exceptions (whose messages can name the host, and whose descriptions come
/// from the server) are replaced by ones that name the method and the failure only, with the token cut
/// out of Telegram's description, and without the original as inner exception.</item>
/// </list>
/// </summary>
public sealed partial class RetryingBotClient : ITelegramBotClient
{
    public const string HttpClientName = "telegram-bot-api";

    /// <summary>
    /// The longest <c>retry_after</c> one call waits out; past it the call fails at once (the poll loop
    /// must not stall for minutes behind one reply, and retrying sooner is never done).
    /// </summary>
    private static readonly TimeSpan MaxRetryAfterWait = TimeSpan.FromSeconds(60);

    /// <summary>Small margin on top of <c>retry_after</c>, so the retry lands after the window.</summary>
    private static readonly TimeSpan RetryAfterMargin = TimeSpan.FromMilliseconds(100);

    private readonly IOptions<TelegramOptions> _options;
    private readonly BotStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger<RetryingBotClient> _logger;

    /// <summary>Made on first use: without a token (the bot disabled) there is nothing to make.</summary>
    private readonly Lazy<TelegramBotClient> _inner;

    public RetryingBotClient(
        IHttpClientFactory httpClients,
        IOptions<TelegramOptions> options,
        BotStatus status,
        TimeProvider time,
        ILogger<RetryingBotClient> logger)
    {
        _options = options;
        _status = status;
        _time = time;
        _logger = logger;
        _inner = new Lazy<TelegramBotClient>(() => Create(httpClients.CreateClient(HttpClientName), options.Value));
    }

    public bool LocalBotServer => _inner.Value.LocalBotServer;

    public long BotId => _inner.Value.BotId;

    public TimeSpan Timeout
    {
        get => _inner.Value.Timeout;
        set => _inner.Value.Timeout = value;
    }

    public IExceptionParser ExceptionsParser
    {
        get => _inner.Value.ExceptionsParser;
        set => _inner.Value.ExceptionsParser = value;
    }

    public event AsyncEventHandler<ApiRequestEventArgs>? OnMakingApiRequest
    {
        add => _inner.Value.OnMakingApiRequest += value;
        remove => _inner.Value.OnMakingApiRequest -= value;
    }

    public event AsyncEventHandler<ApiResponseEventArgs>? OnApiResponseReceived
    {
        add => _inner.Value.OnApiResponseReceived += value;
        remove => _inner.Value.OnApiResponseReceived -= value;
    }

    /// <summary>A client timeout above the long poll (each call has its own, shorter, timeout too).</summary>
    internal static void Configure(HttpClient client, TelegramOptions settings) =>
        client.Timeout = settings.LongPollTimeout + settings.RequestTimeout + TimeSpan.FromSeconds(5);

    public async Task<TResponse> SendRequest<TResponse>(IRequest<TResponse> request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = _options.Value;
        var longPoll = request as GetUpdatesRequest;
        var attempts = longPoll is null ? settings.MaxAttempts : 1;
        var timeout = settings.RequestTimeout + TimeSpan.FromSeconds(longPoll?.Timeout ?? 0);
        var backoff = new Backoff(settings.RetryBaseDelay, settings.MaxRetryDelay);
        for (var attempt = 1; ; attempt++)
        {
            Failure failure;
            using (var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeoutSource.CancelAfter(timeout);
                try
                {
                    var result = await _inner.Value.SendRequest(request, timeoutSource.Token);
                    _status.Succeeded(_time.GetUtcNow());
                    return result;
                }
                catch (Exception ex) when (ex is RequestException or OperationCanceledException)
                {
                    // The caller stopping is not a failure of the Bot API (the library may have wrapped it).
                    cancellationToken.ThrowIfCancellationRequested();
                    failure = timeoutSource.IsCancellationRequested || ex is not RequestException requestFailure
                        ? new Failure(BotErrorKind.Timeout, new RequestException(Text(request.MethodName, "timed out")), null)
                        : Describe(request.MethodName, requestFailure);
                }
            }

            _status.Failed(_time.GetUtcNow(), failure.Kind);
            if (!failure.Kind.IsTransient() || attempt >= attempts || failure.RetryAfter > MaxRetryAfterWait)
            {
                throw failure.Exception;
            }

            var delay = failure.RetryAfter is { } asked ? asked + RetryAfterMargin : backoff.Next();
            LogRetrying(_logger, request.MethodName, failure.Kind.ToText(), failure.Exception.Message, (long)delay.TotalMilliseconds, attempt);
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    public async Task<bool> TestApi(CancellationToken cancellationToken = default)
    {
        try
        {
            await this.GetMe(cancellationToken);
            return true;
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 401)
        {
            return false;
        }
    }

    public Task DownloadFile(string filePath, Stream destination, CancellationToken cancellationToken = default) =>
        _inner.Value.DownloadFile(filePath, destination, cancellationToken);

    public Task DownloadFile(TGFile file, Stream destination, CancellationToken cancellationToken = default) =>
        _inner.Value.DownloadFile(file, destination, cancellationToken);

    private static TelegramBotClient Create(HttpClient http, TelegramOptions settings)
    {
        if (string.IsNullOrWhiteSpace(settings.BotToken))
        {
            throw new InvalidOperationException("Telegram:BotToken is not set");
        }

        // RetryThreshold 0: no 429 retry inside the library; SendRequest above owns every retry.
        var options = new TelegramBotClientOptions(settings.BotToken, baseUrl: settings.ApiBaseUrl) { RetryThreshold = 0 };
        return new TelegramBotClient(options, http);
    }

    /// <summary>The library's exception as one that is safe to log: the method, the code, Telegram's redacted description.</summary>
    private Failure Describe(string method, RequestException exception)
    {
        if (exception is ApiRequestException api)
        {
            var retryAfter = api.Parameters?.RetryAfter is int seconds and >= 0 ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            var safe = new ApiRequestException(Text(method, $"{api.ErrorCode} {Redact(api.Message)}"), api.ErrorCode, api.Parameters);
            return new Failure(BotErrorKinds.FromStatus(api.ErrorCode), safe, retryAfter);
        }

        if (exception.HttpStatusCode is { } httpStatus)
        {
            // An answer came, but not a Bot API envelope (a proxy's error page, a cut-off body …).
            var code = (int)httpStatus;
            return new Failure(BotErrorKinds.FromStatus(code), new RequestException(Text(method, $"unreadable answer (HTTP {code})"), httpStatus), null);
        }

        // No answer. The library's message quotes the inner exception's, which can name the host.
        var (kind, what) = exception.InnerException switch
        {
            TaskCanceledException or TimeoutException => (BotErrorKind.Timeout, "timed out"),
            HttpRequestException transport => (BotErrorKind.Transport, $"transport failure ({transport.HttpRequestError})"),
            IOException => (BotErrorKind.Transport, "connection lost"),
            { } other => (BotErrorKind.Transport, $"transport failure ({other.GetType().Name})"),
            null => (BotErrorKind.Transport, "no answer"),
        };
        return new Failure(kind, new RequestException(Text(method, what)), null);
    }

    private static string Text(string method, string what) => $"Bot API {method} failed: {what}";

    /// <summary>Cuts the token's secret part (after the colon; the bot id before it is public) out of a text.</summary>
    private string Redact(string text)
    {
        var token = _options.Value.BotToken;
        var secret = token?[(token.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return string.IsNullOrEmpty(secret) ? text : text.Replace(secret, "<bot-token>", StringComparison.Ordinal);
    }

    private sealed record Failure(BotErrorKind Kind, RequestException Exception, TimeSpan? RetryAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bot API {Method} failed ({ErrorKind}: {Detail}); retrying in {DelayMs} ms (attempt {Attempt})")]
    private static partial void LogRetrying(ILogger logger, string method, string errorKind, string detail, long delayMs, int attempt);
}

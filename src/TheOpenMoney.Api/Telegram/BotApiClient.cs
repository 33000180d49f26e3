using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// A small typed client for the Telegram Bot API over HttpClient + System.Text.Json: every call is
/// <c>POST {ApiBaseUrl}/bot{token}/{method}</c> with a JSON body, answered by the
/// <c>{ok, result, description, error_code, parameters.retry_after}</c> envelope.
/// <para>
/// Retries: <see cref="GetUpdatesAsync"/> makes one attempt (the receiver's loop owns its pacing).
/// Every other call retries up to <see cref="TelegramOptions.MaxAttempts"/> times: after a 429 it
/// waits the <c>retry_after</c> Telegram asked for (up to a minute; a longer one fails the call);
/// after a transport failure, a timeout or a 5xx it waits an exponential backoff with jitter; other
/// errors (400, 403, 409 …) are not retried.
/// </para>
/// <para>
/// The token is in every request URL, so nothing here puts a URL in a log line or an exception
/// message, the HttpClient has no logging handlers, and Telegram's own descriptions are redacted.
/// </para>
/// </summary>
public sealed partial class BotApiClient(
    IHttpClientFactory httpClients,
    IOptions<TelegramOptions> options,
    BotStatus status,
    TimeProvider time,
    ILogger<BotApiClient> logger)
{
    public const string HttpClientName = "telegram-bot-api";

    /// <summary>Only messages are asked for; the bot acts on nothing else.</summary>
    internal static readonly IReadOnlyList<string> AllowedUpdates = ["message"];

    /// <summary>
    /// The longest <c>retry_after</c> one call waits out; past it the call fails at once (the poll loop
    /// must not stall for minutes behind one reply, and retrying sooner is never done).
    /// </summary>
    private static readonly TimeSpan MaxRetryAfterWait = TimeSpan.FromSeconds(60);

    /// <summary>Small margin on top of <c>retry_after</c>, so the retry lands after the window.</summary>
    private static readonly TimeSpan RetryAfterMargin = TimeSpan.FromMilliseconds(100);

    /// <summary>Base address and a client timeout above the long poll (each call has its own, shorter, timeout too).</summary>
    internal static void Configure(HttpClient client, TelegramOptions settings)
    {
        client.BaseAddress = new Uri(settings.ApiBaseUrl.TrimEnd('/') + "/");
        client.Timeout = settings.LongPollTimeout + settings.RequestTimeout + TimeSpan.FromSeconds(5);
    }

    public async Task<BotUser> GetMeAsync(CancellationToken cancellationToken) =>
        await CallAsync<BotUser>("getMe", null, cancellationToken) ?? throw Failure("getMe", null, "answered without a user");

    /// <summary>One long poll: updates from <paramref name="offset"/> (confirming everything before it), waiting up to the long-poll timeout.</summary>
    public async Task<IReadOnlyList<BotUpdate>> GetUpdatesAsync(long? offset, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var request = new GetUpdatesRequest(offset, (int)settings.LongPollTimeout.TotalSeconds, AllowedUpdates);
        var updates = await SendOnceAsync<List<BotUpdate>>("getUpdates", request, settings.LongPollTimeout + settings.RequestTimeout, cancellationToken);
        return updates ?? [];
    }

    /// <summary>Sends an HTML message (values must already be escaped: see <see cref="HtmlText"/>); link previews off.</summary>
    public async Task<long> SendMessageAsync(long chatId, string html, bool protectContent, CancellationToken cancellationToken)
    {
        var request = new SendMessageRequest(chatId, html, "HTML", protectContent, new LinkPreviewOptions(IsDisabled: true));
        var message = await CallAsync<BotMessage>("sendMessage", request, cancellationToken);
        return message?.MessageId ?? 0;
    }

    public Task DeleteWebhookAsync(CancellationToken cancellationToken) =>
        CallAsync<bool>("deleteWebhook", new DeleteWebhookRequest(DropPendingUpdates: false), cancellationToken);

    public Task SetWebhookAsync(string url, string secretToken, CancellationToken cancellationToken) =>
        CallAsync<bool>("setWebhook", new SetWebhookRequest(url, secretToken, AllowedUpdates, DropPendingUpdates: false), cancellationToken);

    public Task SetMyCommandsAsync(IReadOnlyList<BotCommand> commands, CancellationToken cancellationToken) =>
        CallAsync<bool>("setMyCommands", new SetMyCommandsRequest(commands), cancellationToken);

    public Task DeleteMessageAsync(long chatId, long messageId, CancellationToken cancellationToken) =>
        CallAsync<bool>("deleteMessage", new DeleteMessageRequest(chatId, messageId), cancellationToken);

    private async Task<T?> CallAsync<T>(string method, object? payload, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var backoff = new Backoff(settings.RetryBaseDelay, settings.MaxRetryDelay);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SendOnceAsync<T>(method, payload, settings.RequestTimeout, cancellationToken);
            }
            catch (BotApiException ex) when (ex.IsTransient && attempt < settings.MaxAttempts && !(ex.RetryAfter > MaxRetryAfterWait))
            {
                var delay = ex.RetryAfter is { } asked ? asked + RetryAfterMargin : backoff.Next();
                LogRetrying(logger, method, ex.ErrorCode, (long)delay.TotalMilliseconds, attempt);
                await Task.Delay(delay, time, cancellationToken);
            }
        }
    }

    private async Task<T?> SendOnceAsync<T>(string method, object? payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var token = options.Value.BotToken;
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new InvalidOperationException("Telegram:BotToken is not set");
        }

        var json = payload is null ? "{}" : JsonSerializer.Serialize(payload, payload.GetType(), BotJson.Options);
        // "./" keeps the token's colon from being read as a URI scheme; relative to ApiBaseUrl (which may have a path).
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"./bot{token}/{method}", UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        BotEnvelope<T>? envelope;
        int httpStatus;
        try
        {
            var http = httpClients.CreateClient(HttpClientName);
            using var response = await http.SendAsync(request, timeoutSource.Token);
            httpStatus = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(timeoutSource.Token);
            envelope = Parse<T>(text);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failure(method, null, "timed out");
        }
        catch (HttpRequestException ex)
        {
            // The message of an HttpRequestException can name the host; the error kind says enough.
            throw Failure(method, null, $"transport failure ({ex.HttpRequestError})");
        }
        catch (IOException)
        {
            throw Failure(method, null, "connection lost while reading the answer");
        }

        if (envelope is { Ok: true })
        {
            status.Succeeded(time.GetUtcNow());
            return envelope.Result;
        }

        if (envelope is null)
        {
            throw Failure(method, httpStatus is >= 200 and < 300 ? null : httpStatus, $"unreadable answer (HTTP {httpStatus})");
        }

        var retryAfter = envelope.Parameters?.RetryAfter is int seconds and >= 0 ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        throw Failure(method, envelope.ErrorCode ?? httpStatus, envelope.Description ?? "no description", retryAfter);
    }

    private static BotEnvelope<T>? Parse<T>(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<BotEnvelope<T>>(text, BotJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Records the failure for health and builds the exception; the token is cut out of anything Telegram said.</summary>
    private BotApiException Failure(string method, int? code, string description, TimeSpan? retryAfter = null)
    {
        var exception = new BotApiException(method, code, Redact(description), retryAfter);
        status.Failed(time.GetUtcNow(), exception.Message, serviceLevel: code is not (400 or 403));
        return exception;
    }

    private string Redact(string text)
    {
        var token = options.Value.BotToken;
        return string.IsNullOrEmpty(token) ? text : text.Replace(token, "<bot-token>", StringComparison.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bot API {Method} failed ({ErrorCode}); retrying in {DelayMs} ms (attempt {Attempt})")]
    private static partial void LogRetrying(ILogger logger, string method, int? errorCode, long delayMs, int attempt);
}

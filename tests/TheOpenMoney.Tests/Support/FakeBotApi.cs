using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// A fake Telegram Bot API on 127.0.0.1 (over <see cref="FakeHttpServer"/>): answers
/// <c>/bot{token}/{method}</c> with the Bot API envelope, records every call (method, JSON body,
/// server time, status answered), serves <c>getUpdates</c> from a queue with Telegram's offset
/// semantics (an update stays until a later offset confirms it) and a short long poll, and can be
/// told to fail the next calls of a method (429 with <c>retry_after</c>, 409, 5xx …).
/// <para>
/// Where Telegram.Bot's requests differ from the hand-written client's, in ways Telegram accepts:
/// it leaves out fields that hold their default, so a <c>false</c> flag (<c>protect_content</c>,
/// <c>drop_pending_updates</c>) is absent rather than <c>false</c> (Telegram reads a missing flag as
/// false: read flags with <see cref="BotCall.Flag"/>); <c>parse_mode</c> is <c>"Html"</c> rather than
/// <c>"HTML"</c> (Telegram matches it case-insensitively); and a method without parameters
/// (<c>getMe</c>) is posted with no body rather than <c>{}</c> (an empty body reads as no parameters).
/// </para>
/// </summary>
public sealed partial class FakeBotApi : IAsyncDisposable
{
    public const string BotUsername = "tom_test_bot";
    public const long BotId = 4242;

    private readonly FakeHttpServer _server;
    private readonly object _gate = new();
    private readonly List<BotCall> _calls = [];
    private readonly List<Pending> _pending = [];
    private readonly List<Failure> _failures = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private long _nextUpdateId = 10_000;
    private long _nextMessageId = 1;
    private long _highestOffset;

    private FakeBotApi(FakeHttpServer server, string token)
    {
        _server = server;
        Token = token;
        _server.Handler = HandleAsync;
    }

    public string Token { get; }

    public string Url => _server.Url;

    public IReadOnlyList<BotCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToList();
            }
        }
    }

    public static async Task<FakeBotApi> StartAsync(string token) => new(await FakeHttpServer.StartAsync(), token);

    /// <summary>Queues a text message as the next update; returns the update (to deliver it again later).</summary>
    public JsonObject EnqueueMessage(long fromId, string text, string chatType = "private", long? chatId = null, string? username = null, string firstName = "Ann")
    {
        var update = NewMessageUpdate(fromId, text, chatType, chatId, username, firstName);
        Enqueue(update, force: false);
        return update;
    }

    /// <summary>A message update with a fresh update_id, not queued (for the webhook).</summary>
    public JsonObject NewMessageUpdate(long fromId, string text, string chatType = "private", long? chatId = null, string? username = null, string firstName = "Ann")
    {
        var chat = new JsonObject { ["id"] = chatId ?? fromId, ["type"] = chatType };
        if (chatType != "private")
        {
            chat["title"] = "Some group";
        }

        var from = new JsonObject { ["id"] = fromId, ["is_bot"] = false, ["first_name"] = firstName, ["language_code"] = "en" };
        if (username is not null)
        {
            from["username"] = username;
        }

        return new JsonObject
        {
            ["update_id"] = Interlocked.Increment(ref _nextUpdateId),
            ["message"] = new JsonObject
            {
                ["message_id"] = Interlocked.Increment(ref _nextMessageId),
                ["from"] = from,
                ["chat"] = chat,
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["text"] = text,
                ["entities"] = new JsonArray(new JsonObject { ["type"] = "bot_command", ["offset"] = 0, ["length"] = text.Split(' ')[0].Length }),
            },
        };
    }

    /// <summary>
    /// Queues a press on a bot button (a <c>callback_query</c> update) as the next update: from
    /// <paramref name="fromId"/>, on message <paramref name="messageId"/> in chat <paramref name="chatId"/>
    /// (a private chat when it is the presser's own id), with <paramref name="data"/> — any bytes a client sends.
    /// </summary>
    public JsonObject EnqueuePress(long fromId, long chatId, long messageId, string data)
    {
        var update = new JsonObject
        {
            ["update_id"] = Interlocked.Increment(ref _nextUpdateId),
            ["callback_query"] = new JsonObject
            {
                ["id"] = $"cq{Interlocked.Increment(ref _nextMessageId)}",
                ["from"] = new JsonObject { ["id"] = fromId, ["is_bot"] = false, ["first_name"] = "Ann" },
                ["chat_instance"] = "42",
                ["data"] = data,
                ["message"] = new JsonObject
                {
                    ["message_id"] = messageId,
                    ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    ["chat"] = new JsonObject { ["id"] = chatId, ["type"] = chatId == fromId ? "private" : "group" },
                    ["text"] = "Withdraw?",
                },
            },
        };
        Enqueue(update, force: false);
        return update;
    }

    /// <summary>Hands an update out once more regardless of the offset (a redelivery after a lost confirmation).</summary>
    public void Redeliver(JsonObject update) => Enqueue(update, force: true);

    /// <summary>The next <paramref name="times"/> calls of <paramref name="method"/> (matching <paramref name="when"/>) fail with this status.</summary>
    public void FailNext(string method, int status, int times = 1, int? retryAfter = null, string? description = null, Func<JsonElement, bool>? when = null)
    {
        lock (_gate)
        {
            _failures.Add(new Failure(method, status, retryAfter, description ?? DefaultDescription(status), when) { Remaining = times });
        }
    }

    public IReadOnlyList<BotCall> CallsOf(string method) => Calls.Where(c => c.Method == method).ToList();

    /// <summary>Every sendMessage to a chat (failed attempts included).</summary>
    public IReadOnlyList<BotCall> SentTo(long chatId) =>
        Calls.Where(c => c.Method == "sendMessage" && c.Body.TryGetProperty("chat_id", out var id) && id.GetInt64() == chatId).ToList();

    /// <summary>Every call about a chat (sendMessage, deleteMessage …).</summary>
    public IReadOnlyList<BotCall> CallsAbout(long chatId) =>
        Calls.Where(c => c.Body.ValueKind == JsonValueKind.Object && c.Body.TryGetProperty("chat_id", out var id) && id.GetInt64() == chatId).ToList();

    /// <summary>Waits until <paramref name="count"/> messages were delivered (answered 200) to the chat; returns them.</summary>
    public async Task<IReadOnlyList<BotCall>> WaitForRepliesAsync(long chatId, int count = 1, int seconds = 30)
    {
        var delivered = await Eventually.WaitAsync(
            () => Task.FromResult(SentTo(chatId).Where(c => c.Status == 200).ToList()),
            list => list.Count >= count,
            $"{count} message(s) to chat {chatId}",
            seconds);
        return delivered;
    }

    public async Task<string> WaitForReplyTextAsync(long chatId, int count = 1) => (await WaitForRepliesAsync(chatId, count))[count - 1].Text;

    /// <summary>
    /// Waits until a <c>getUpdates</c> arrives with an offset past <paramref name="update"/>: the poller confirms an
    /// update only after handling it, so from then on nothing it does for that update is still to come.
    /// </summary>
    public Task WaitForConfirmedAsync(JsonObject update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var id = update["update_id"]!.GetValue<long>();
        return Eventually.WaitAsync(() => Task.FromResult(HighestOffset()), offset => offset > id, $"update {id} confirmed");
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _arrived.Dispose();
    }

    [GeneratedRegex("osk_[0-9A-Za-z]{43}")]
    public static partial Regex FullKey();

    private static string DefaultDescription(int status) => status switch
    {
        409 => "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        429 => "Too Many Requests: retry after 1",
        400 => "Bad Request: chat not found",
        _ => "Internal Server Error",
    };

    private long HighestOffset()
    {
        lock (_gate)
        {
            return _highestOffset;
        }
    }

    private void Enqueue(JsonObject update, bool force)
    {
        lock (_gate)
        {
            _pending.Add(new Pending(update["update_id"]!.GetValue<long>(), update.ToJsonString(), force));
        }

        _arrived.Release();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var at = DateTimeOffset.UtcNow;
        var match = PathShape().Match(context.Request.Path.Value ?? "");
        JsonElement body;
        using (var reader = new StreamReader(context.Request.Body))
        {
            var text = await reader.ReadToEndAsync();
            body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }

        if (!match.Success || match.Groups["token"].Value != Token)
        {
            await WriteAsync(context, 401, new JsonObject { ["ok"] = false, ["error_code"] = 401, ["description"] = "Unauthorized" });
            return;
        }

        var method = match.Groups["method"].Value;
        var failure = TakeFailure(method, body);
        if (failure is not null)
        {
            Record(method, body, at, failure.Status);
            var error = new JsonObject { ["ok"] = false, ["error_code"] = failure.Status, ["description"] = failure.Description };
            if (failure.RetryAfter is { } seconds)
            {
                error["parameters"] = new JsonObject { ["retry_after"] = seconds };
            }

            await WriteAsync(context, failure.Status, error);
            return;
        }

        JsonNode? result = method switch
        {
            "getMe" => new JsonObject { ["id"] = BotId, ["is_bot"] = true, ["first_name"] = "TOM test", ["username"] = BotUsername, ["can_join_groups"] = true },
            "getUpdates" => await UpdatesAsync(body, context.RequestAborted),
            "sendMessage" => new JsonObject
            {
                ["message_id"] = Interlocked.Increment(ref _nextMessageId),
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["chat"] = new JsonObject { ["id"] = body.GetProperty("chat_id").GetInt64(), ["type"] = "private" },
                ["text"] = body.GetProperty("text").GetString(),
            },
            "editMessageText" => new JsonObject
            {
                ["message_id"] = body.GetProperty("message_id").GetInt64(),
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["chat"] = new JsonObject { ["id"] = body.GetProperty("chat_id").GetInt64(), ["type"] = "private" },
                ["text"] = body.GetProperty("text").GetString(),
            },
            _ => JsonValue.Create(true),
        };
        Record(method, body, at, 200);
        await WriteAsync(context, 200, new JsonObject { ["ok"] = true, ["result"] = result });
    }

    private async Task<JsonArray> UpdatesAsync(JsonElement body, CancellationToken aborted)
    {
        long? offset = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("offset", out var o) && o.ValueKind == JsonValueKind.Number ? o.GetInt64() : null;
        if (offset is { } asked)
        {
            // On arrival, not when the long poll ends: the confirmation is the request itself.
            lock (_gate)
            {
                _highestOffset = Math.Max(_highestOffset, asked);
            }
        }

        var timeout = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("timeout", out var t) ? t.GetInt32() : 0;
        var deadline = DateTime.UtcNow.AddSeconds(Math.Min(timeout, 2));
        while (true)
        {
            lock (_gate)
            {
                if (offset is { } confirmed)
                {
                    _pending.RemoveAll(p => !p.Force && p.UpdateId < confirmed);
                }

                if (_pending.Count > 0)
                {
                    var batch = _pending.Take(100).ToList();
                    _pending.RemoveAll(p => p.Force && batch.Contains(p));
                    return new JsonArray(batch.Select(p => JsonNode.Parse(p.Json)).ToArray());
                }
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return [];
            }

            try
            {
                await _arrived.WaitAsync(left, aborted);
            }
            catch (OperationCanceledException)
            {
                return [];
            }
        }
    }

    private Failure? TakeFailure(string method, JsonElement body)
    {
        lock (_gate)
        {
            var failure = _failures.FirstOrDefault(f => f.Method == method && f.Remaining > 0 && (f.When is null || f.When(body)));
            if (failure is null)
            {
                return null;
            }

            failure.Remaining--;
            if (failure.Remaining == 0)
            {
                _failures.Remove(failure);
            }

            return failure;
        }
    }

    private void Record(string method, JsonElement body, DateTimeOffset at, int status)
    {
        lock (_gate)
        {
            _calls.Add(new BotCall(method, body, at, status));
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonObject json)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(json);
    }

    [GeneratedRegex("^/bot(?<token>[^/]+)/(?<method>[A-Za-z]+)$")]
    private static partial Regex PathShape();

    public sealed record BotCall(string Method, JsonElement Body, DateTimeOffset At, int Status)
    {
        public string Text => Body.TryGetProperty("text", out var text) ? text.GetString() ?? "" : "";

        public string Raw => Body.ValueKind == JsonValueKind.Undefined ? "" : Body.GetRawText();

        /// <summary>A boolean parameter as Telegram reads it: absent is false.</summary>
        public bool Flag(string name) =>
            Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(name, out var value) && value.GetBoolean();
    }

    private sealed record Pending(long UpdateId, string Json, bool Force);

    private sealed record Failure(string Method, int Status, int? RetryAfter, string Description, Func<JsonElement, bool>? When)
    {
        public int Remaining { get; set; }
    }
}

/// <summary>Helpers to talk to the bot's webhook like Telegram does.</summary>
public static class BotWebhook
{
    public static Task<HttpResponseMessage> PostAsync(HttpClient client, JsonObject update, string? secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/telegram/webhook") { Content = JsonContent.Create(update) };
        if (secret is not null)
        {
            request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secret);
        }

        return client.SendAsync(request);
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// The few Bot API types the bot uses (https://core.telegram.org/bots/api). Field names are
/// snake_case on the wire; fields Telegram adds later are ignored.
/// </summary>
internal static class BotJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };
}

/// <summary>A Telegram user or bot.</summary>
public sealed record BotUser(long Id, bool IsBot, string? FirstName, string? LastName, string? Username);

/// <summary>A chat: <c>type</c> is <c>private</c>, <c>group</c>, <c>supergroup</c> or <c>channel</c>.</summary>
public sealed record BotChat(long Id, string? Type, string? Title, string? Username)
{
    public const string Private = "private";

    [JsonIgnore]
    public bool IsPrivate => string.Equals(Type, Private, StringComparison.Ordinal);
}

public sealed record BotMessage(long MessageId, BotUser? From, BotChat Chat, long Date, string? Text);

/// <summary>One incoming update; only <c>message</c> is asked for (<c>allowed_updates</c>).</summary>
public sealed record BotUpdate(long UpdateId, BotMessage? Message);

/// <summary>An entry of the command menu (<c>setMyCommands</c>).</summary>
public sealed record BotCommand(string Command, string Description);

/// <summary>The envelope of every Bot API answer.</summary>
internal sealed record BotEnvelope<T>(bool Ok, T? Result, string? Description, int? ErrorCode, BotResponseParameters? Parameters);

internal sealed record BotResponseParameters(int? RetryAfter, long? MigrateToChatId);

internal sealed record GetUpdatesRequest(long? Offset, int Timeout, IReadOnlyList<string> AllowedUpdates);

internal sealed record SendMessageRequest(long ChatId, string Text, string ParseMode, bool ProtectContent, LinkPreviewOptions LinkPreviewOptions);

internal sealed record LinkPreviewOptions(bool IsDisabled);

internal sealed record SetWebhookRequest(string Url, string SecretToken, IReadOnlyList<string> AllowedUpdates, bool DropPendingUpdates);

internal sealed record DeleteWebhookRequest(bool DropPendingUpdates);

internal sealed record SetMyCommandsRequest(IReadOnlyList<BotCommand> Commands);

internal sealed record DeleteMessageRequest(long ChatId, long MessageId);

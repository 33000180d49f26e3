using System.Net.Http.Headers;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace TheOpenMoney.Api.Recipients;

public enum RecipientProduct
{
    Stars,
    Premium,
}

/// <summary>The contract's <c>reason</c> values.</summary>
public static class RecipientReasons
{
    public const string NotFound = "NOT_FOUND";
    public const string NotAUser = "NOT_A_USER";
    public const string AlreadyPremium = "ALREADY_PREMIUM";
    public const string Unknown = "UNKNOWN";

    public static readonly IReadOnlySet<string> Refusals = new HashSet<string>(StringComparer.Ordinal) { NotFound, NotAUser, AlreadyPremium };
}

/// <summary>
/// Whether a username can receive. <see cref="CanReceive"/> is null when the directory could not
/// say (<see cref="RecipientReasons.Unknown"/>).
/// </summary>
public sealed record RecipientStatus(string Username, bool? CanReceive, string? Reason)
{
    public static RecipientStatus Eligible(string username) => new(username, true, null);

    public static RecipientStatus Refused(string username, string reason) => new(username, false, reason);

    public static RecipientStatus Unknown(string username) => new(username, null, RecipientReasons.Unknown);
}

/// <summary>Answers "can this username receive Stars / this Premium plan?". Never throws for a dependency failure: answers Unknown.</summary>
public interface IRecipientDirectory
{
    Task<RecipientStatus> CheckAsync(string username, RecipientProduct product, int? months, CancellationToken cancellationToken);
}

/// <summary>Telegram's username rules, and the one normal form we store (no leading <c>@</c>).</summary>
public static partial class TelegramUsername
{
    /// <summary>
    /// What a request may send (the validators' rule and the OpenAPI document's <c>pattern</c>): a username,
    /// with or without one leading <c>@</c>, and nothing around it.
    /// </summary>
    public const string AcceptedPattern = "^@?[A-Za-z][A-Za-z0-9_]{4,31}$";

    /// <summary>Drops one leading <c>@</c> from a username a request sent (see <see cref="AcceptedPattern"/>).</summary>
    public static string Normalize(string? raw)
    {
        var name = raw ?? "";
        return name.StartsWith('@') ? name[1..] : name;
    }

    /// <summary>5–32 characters of <c>A-Za-z0-9_</c>, starting with a letter.</summary>
    public static bool IsValid(string username) => Pattern().IsMatch(username);

    public const string Rule = "5 to 32 characters of A-Z, a-z, 0-9 and _, starting with a letter";

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{4,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>
/// Deterministic stand-in for local runs and tests: <c>…_bot</c> → NOT_A_USER, <c>nobody…</c> →
/// NOT_FOUND, <c>premium…</c> → ALREADY_PREMIUM (for Premium only); everyone else can receive.
/// </summary>
public sealed class SimulatedRecipientDirectory : IRecipientDirectory
{
    public Task<RecipientStatus> CheckAsync(string username, RecipientProduct product, int? months, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(username);
        var status = username switch
        {
            _ when username.EndsWith("_bot", StringComparison.OrdinalIgnoreCase) => RecipientStatus.Refused(username, RecipientReasons.NotAUser),
            _ when username.StartsWith("nobody", StringComparison.OrdinalIgnoreCase) => RecipientStatus.Refused(username, RecipientReasons.NotFound),
            _ when product == RecipientProduct.Premium && username.StartsWith("premium", StringComparison.OrdinalIgnoreCase) =>
                RecipientStatus.Refused(username, RecipientReasons.AlreadyPremium),
            _ => RecipientStatus.Eligible(username),
        };
        return Task.FromResult(status);
    }
}

/// <summary>
/// The HTTP directory: <c>GET {BaseUrl}/v1/recipients/{product}?username=…[&amp;months=…]</c> answering
/// <c>{"can_receive": bool, "reason": null|"NOT_FOUND"|"NOT_A_USER"|"ALREADY_PREMIUM"}</c>. Any failure
/// (after Polly's retries) or an answer outside that contract is UNKNOWN.
/// </summary>
public sealed partial class HttpRecipientDirectory(HttpClient http, ILogger<HttpRecipientDirectory> logger) : IRecipientDirectory
{
    public async Task<RecipientStatus> CheckAsync(string username, RecipientProduct product, int? months, CancellationToken cancellationToken)
    {
        var path = $"v1/recipients/{(product == RecipientProduct.Stars ? "stars" : "premium")}?username={Uri.EscapeDataString(username)}";
        if (months is { } m)
        {
            path += $"&months={m}";
        }

        try
        {
            using var response = await http.GetAsync(path, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                LogUnknown(logger, $"status {(int)response.StatusCode}");
                return RecipientStatus.Unknown(username);
            }

            var answer = await response.Content.ReadFromJsonAsync<DirectoryAnswer>(cancellationToken);
            return answer switch
            {
                { CanReceive: true } => RecipientStatus.Eligible(username),
                { CanReceive: false, Reason: { } reason } when RecipientReasons.Refusals.Contains(reason) => RecipientStatus.Refused(username, reason),
                _ => Unknown(username, "answer outside the contract"),
            };
        }
        catch (Exception ex) when (HttpFailures.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            return Unknown(username, ex.GetType().Name);
        }
    }

    internal static void Configure(HttpClient client, RecipientDirectoryOptions options)
    {
        client.BaseAddress = new Uri(options.BaseUrl!.TrimEnd('/') + "/");
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        }
    }

    private RecipientStatus Unknown(string username, string why)
    {
        LogUnknown(logger, why);
        return RecipientStatus.Unknown(username);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recipient directory could not answer ({Reason}); reporting UNKNOWN")]
    private static partial void LogUnknown(ILogger logger, string reason);

    private sealed record DirectoryAnswer(
        [property: JsonPropertyName("can_receive")] bool? CanReceive,
        [property: JsonPropertyName("reason")] string? Reason);
}

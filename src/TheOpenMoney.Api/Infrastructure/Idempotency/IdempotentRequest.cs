using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TheOpenMoney.Api.Infrastructure.Validation;

namespace TheOpenMoney.Api.Infrastructure.Idempotency;

/// <summary>The headers of the idempotency contract.</summary>
public static partial class IdempotencyHeaders
{
    /// <summary>Request: any unique string (a UUID) naming the change, so a retry does it once.</summary>
    public const string Key = "Idempotency-Key";

    /// <summary>Response: <c>true</c> when the body is the stored answer of an earlier request with the key.</summary>
    public const string Replayed = "Idempotent-Replayed";

    /// <summary>The longest key accepted (the column is <c>varchar(255)</c>).</summary>
    public const int KeyMaxLength = 255;

    /// <summary>
    /// What a key may be, checked on every request and stated as the header's <c>pattern</c> in the OpenAPI
    /// document: 1–255 printable ASCII characters, no spaces (<c>!</c> to <c>~</c>).
    /// </summary>
    public const string KeyPattern = "^[!-~]{1,255}$";

    /// <summary>Whether <paramref name="key"/> is a valid <c>Idempotency-Key</c> (<see cref="KeyPattern"/>, matched in full).</summary>
    public static bool IsValidKey(string key) => FullMatchValidator<object>.Matches(KeyRegex(), key);

    [GeneratedRegex(KeyPattern, RegexOptions.CultureInvariant)]
    private static partial Regex KeyRegex();
}

/// <summary>
/// The <c>Idempotency-Key</c> of a request with the hash of what it asked for (method, path, exact body bytes),
/// and whether its answer is stored encrypted (<see cref="IdempotentAttribute.ProtectStoredResponse"/>).
/// </summary>
public sealed record IdempotentRequest(long PartnerId, string Key, string Method, string Path, byte[] Hash, bool ProtectResponse = false)
{
    /// <summary>The request's key and hash; null when it sends no key; 422 when the key is malformed.</summary>
    public static async Task<IdempotentRequest?> ReadAsync(HttpRequest request, long partnerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Headers.TryGetValue(IdempotencyHeaders.Key, out var values))
        {
            return null;
        }

        var key = values.Count == 1 ? values[0] ?? "" : "";
        if (!IdempotencyHeaders.IsValidKey(key))
        {
            throw ApiException.Validation("Idempotency-Key must be 1 to 255 printable ASCII characters without spaces (a UUID is recommended)");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.Path.Value}\n"));
        if (request.Body.CanSeek)
        {
            // Buffered by the filter before model binding read it: hash the exact bytes received.
            request.Body.Position = 0;
            var buffer = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        return new IdempotentRequest(partnerId, key, request.Method, request.Path.Value ?? "", hash.GetHashAndReset());
    }
}

/// <summary>A stored JSON response body, and whether it is being replayed for a later request.</summary>
public sealed record IdempotentResponse(byte[] Body, bool Replayed);

/// <summary>
/// Encrypts the stored answers of idempotent requests that show a secret
/// (<see cref="IdempotentAttribute.ProtectStoredResponse"/>), bound to the partner; a feature that issues
/// secrets provides it.
/// </summary>
public interface IStoredResponseProtector
{
    byte[] Protect(byte[] body, long partnerId);

    byte[] Unprotect(byte[] stored, long partnerId);
}

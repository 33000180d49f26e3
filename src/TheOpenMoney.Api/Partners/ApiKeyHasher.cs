using System.Security.Cryptography;

namespace TheOpenMoney.Api.Partners;

/// <summary>
/// Makes and hashes <c>osk_</c> keys: <c>osk_</c> + 43 base62 characters drawn uniformly
/// (43 × log2 62 ≈ 256 bits). Only HMAC-SHA256(pepper, key) is ever stored.
/// </summary>
public sealed class ApiKeyHasher
{
    public const string KeyPrefix = "osk_";
    public const int RandomLength = 43;
    public const int DisplayRandomChars = 6;
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly byte[] _pepper;

    public ApiKeyHasher(IOptions<ApiKeyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pepper = Encoding.UTF8.GetBytes(options.Value.Pepper);
    }

    public sealed record NewKey(string Plaintext, string Prefix, byte[] Hash);

    public NewKey Generate()
    {
        var random = RandomNumberGenerator.GetItems<char>(Alphabet, RandomLength);
        var plaintext = KeyPrefix + new string(random);
        return new NewKey(plaintext, DisplayPrefix(plaintext), Hash(plaintext));
    }

    /// <summary>The part of a key that may be shown (<c>osk_AbC1x2</c>); never enough to use it.</summary>
    public static string DisplayPrefix(string key) => key[..(KeyPrefix.Length + DisplayRandomChars)];

    /// <summary>True when <paramref name="candidate"/> has the shape of a key we issue (checked before any DB work).</summary>
    public static bool HasKeyShape(ReadOnlySpan<char> candidate)
    {
        if (candidate.Length != KeyPrefix.Length + RandomLength || !candidate.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in candidate[KeyPrefix.Length..])
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    public byte[] Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return HMACSHA256.HashData(_pepper, Encoding.UTF8.GetBytes(key));
    }
}

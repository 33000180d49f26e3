using System.Security.Cryptography;

namespace TheOpenMoney.Api.Partners;

/// <summary>
/// Makes and hashes <c>osk_</c> keys: <c>osk_</c> (live) or <c>osk_test_</c> (test mode) + 43 base62
/// characters drawn uniformly (43 × log2 62 ≈ 256 bits). Only HMAC-SHA256(pepper, key) is ever stored.
/// The random part has no underscore, so the prefix alone tells the modes apart.
/// </summary>
public sealed class ApiKeyHasher
{
    public const string KeyPrefix = "osk_";
    public const string TestKeyPrefix = "osk_test_";
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

    public NewKey Generate(bool livemode = true)
    {
        var random = RandomNumberGenerator.GetItems<char>(Alphabet, RandomLength);
        var plaintext = PrefixFor(livemode) + new string(random);
        return new NewKey(plaintext, DisplayPrefix(plaintext), Hash(plaintext));
    }

    /// <summary><c>osk_</c> for live keys, <c>osk_test_</c> for test keys.</summary>
    public static string PrefixFor(bool livemode) => livemode ? KeyPrefix : TestKeyPrefix;

    /// <summary>True for an <c>osk_test_</c> key (test mode).</summary>
    public static bool IsTestKey(ReadOnlySpan<char> key) => key.StartsWith(TestKeyPrefix, StringComparison.Ordinal);

    /// <summary>The part of a key that may be shown (<c>osk_AbC1x2</c>, <c>osk_test_AbC1x2</c>); never enough to use it.</summary>
    public static string DisplayPrefix(string key) => key[..(PrefixFor(!IsTestKey(key)).Length + DisplayRandomChars)];

    /// <summary>True when <paramref name="candidate"/> has the shape of a key we issue (checked before any DB work).</summary>
    public static bool HasKeyShape(ReadOnlySpan<char> candidate)
    {
        var prefix = PrefixFor(!IsTestKey(candidate));
        if (candidate.Length != prefix.Length + RandomLength || !candidate.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in candidate[prefix.Length..])
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

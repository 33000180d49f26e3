using System.Security.Cryptography;

namespace TheOpenMoney.Api.Ton;

/// <summary>
/// Payment memos, the transfer comment that tells one payment from another on a shared deposit
/// address: an upper-case prefix and a dash (orders use <c>STARS-</c> and <c>PREMIUM-</c>) and six random
/// characters of <c>a-z0-9</c> (36^6 ≈ 2.2 billion). Payers type them by hand, so matching trims and
/// ignores case: the one canonical form is an upper-case prefix and a lower-case suffix.
/// </summary>
public static class PaymentMemo
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    public const int SuffixLength = 6;
    public const int MaxLength = 32;

    /// <summary>A fresh memo: <paramref name="prefix"/> (upper case, ending in a dash) and a random suffix.</summary>
    public static string New(string prefix) =>
        prefix + new string(RandomNumberGenerator.GetItems<char>(Alphabet, SuffixLength));

    /// <summary>
    /// The canonical form of what a payer or partner typed, or null when it cannot be a memo. White
    /// space and control characters (NUL included) are trimmed from both ends; what is left must be
    /// ASCII letters and digits with a dash after the first character (case is ignored, and only
    /// ASCII case: no Unicode folding can turn another character into a memo's). Anything else
    /// around or inside the memo means no match.
    /// </summary>
    public static string? Normalize(string? text)
    {
        var trimmed = TrimControl(text ?? "");
        if (trimmed.Length is 0 or > MaxLength)
        {
            return null;
        }

        var dash = trimmed.IndexOf('-');
        if (dash <= 0 || dash == trimmed.Length - 1)
        {
            return null;
        }

        foreach (var c in trimmed)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return null;
            }
        }

        return string.Concat(trimmed[..dash].ToString().ToUpperInvariant(), "-", trimmed[(dash + 1)..].ToString().ToLowerInvariant());
    }

    /// <summary>Trims white space and control characters from both ends, in any mix.</summary>
    private static ReadOnlySpan<char> TrimControl(ReadOnlySpan<char> text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && (char.IsWhiteSpace(text[start]) || char.IsControl(text[start])))
        {
            start++;
        }

        while (end > start && (char.IsWhiteSpace(text[end - 1]) || char.IsControl(text[end - 1])))
        {
            end--;
        }

        return text[start..end];
    }
}

using System.Security.Cryptography;

namespace TheOpenMoney.Api.Orders;

/// <summary>
/// Order memos: <c>STARS-</c> or <c>PREMIUM-</c> and six random characters of <c>a-z0-9</c>
/// (36^6 ≈ 2.2 billion). Payers type them by hand, so matching trims and ignores case: the one
/// canonical form is an upper-case prefix and a lower-case suffix.
/// </summary>
public static class PaymentMemo
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    public const int SuffixLength = 6;

    public static string New(OrderType type) =>
        (type == OrderType.Stars ? "STARS-" : "PREMIUM-") + new string(RandomNumberGenerator.GetItems<char>(Alphabet, SuffixLength));

    /// <summary>The canonical form of what a payer or partner typed, or null when it cannot be a memo.</summary>
    public static string? Normalize(string? text)
    {
        var trimmed = (text ?? "").Trim();
        var dash = trimmed.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || dash == trimmed.Length - 1 || trimmed.Length > 32)
        {
            return null;
        }

        return trimmed[..dash].ToUpperInvariant() + "-" + trimmed[(dash + 1)..].ToLowerInvariant();
    }
}

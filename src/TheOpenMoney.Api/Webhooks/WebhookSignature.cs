using System.Security.Cryptography;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// The <c>TOM-Signature</c> header of a webhook delivery:
/// <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;raw body&gt;")&gt;</c>, with one
/// <c>v1=</c> per valid secret (the new one first, then the old one while a rotation is in progress).
/// </summary>
/// <remarks>
/// The HMAC key is the UTF-8 encoding of the whole secret exactly as shown to the partner, prefix included
/// (<c>whsec_…</c>), not the base64url-decoded random bytes: that is what a partner can copy into any language
/// without decoding, and the verification snippets in <c>docs/webhooks/</c> do the same. The signed message is
/// the ASCII timestamp, a dot, then the body bytes exactly as sent (no re-serialization). Hex is lowercase.
/// </remarks>
public static class WebhookSignature
{
    /// <summary>The request header that carries the signature.</summary>
    public const string HeaderName = "TOM-Signature";

    /// <summary>The only signature scheme: HMAC-SHA256 as lowercase hex.</summary>
    public const string Scheme = "v1";

    /// <summary>Headers longer than this are refused by <see cref="Verify"/> before any parsing.</summary>
    public const int MaxHeaderLength = 4096;

    private const int HashBytes = 32;
    private const int HexLength = HashBytes * 2;

    /// <summary>
    /// The header value for <paramref name="body"/> sent at <paramref name="timestamp"/>, one <c>v1=</c> per secret,
    /// in the order given.
    /// </summary>
    /// <exception cref="ArgumentException">No secrets, or an empty one.</exception>
    public static string Header(DateTimeOffset timestamp, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Count == 0)
        {
            throw new ArgumentException("At least one secret is needed to sign a webhook.", nameof(secrets));
        }

        var t = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var header = new StringBuilder("t=").Append(t);
        Span<byte> mac = stackalloc byte[HashBytes];
        foreach (var secret in secrets)
        {
            if (string.IsNullOrEmpty(secret))
            {
                throw new ArgumentException("A webhook secret must not be empty.", nameof(secrets));
            }

            Compute(secret, t, body, mac);
            header.Append(',').Append(Scheme).Append('=').Append(Convert.ToHexStringLower(mac));
        }

        return header.ToString();
    }

    /// <summary>
    /// True when <paramref name="header"/> carries a timestamp within <paramref name="tolerance"/> of
    /// <paramref name="now"/> (either side) and at least one <c>v1=</c> that is the HMAC of that timestamp and
    /// <paramref name="body"/> under <paramref name="secret"/>. Signatures are compared in constant time.
    /// A missing, malformed or oversized header, a repeated <c>t=</c>, or no <c>v1=</c> gives false; it never throws
    /// on what the header holds. Unknown schemes (<c>v0=</c>, …) are ignored.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="secret"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative.</exception>
    public static bool Verify(string? header, ReadOnlySpan<byte> body, string secret, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentOutOfRangeException.ThrowIfLessThan(tolerance, TimeSpan.Zero);
        if (header is null || header.Length > MaxHeaderLength)
        {
            return false;
        }

        var parts = Parts(header);
        var timestamps = parts.Where(part => part.Name == "t").Select(part => part.Value).ToList();
        var signatures = parts.Where(part => part.Name == Scheme).Select(part => part.Value).ToList();
        if (timestamps is not [var t] || signatures.Count == 0 || !TryParseSeconds(t, out var seconds))
        {
            return false;
        }

        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > tolerance.TotalSeconds)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HashBytes];
        Span<byte> candidate = stackalloc byte[HashBytes];
        Compute(secret, t, body, expected);
        var matched = false;
        foreach (var signature in signatures)
        {
            if (IsLowerHex(signature, HexLength)
                && Convert.FromHexString(signature, candidate, out _, out _) == System.Buffers.OperationStatus.Done)
            {
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
            }
        }

        return matched;
    }

    private static void Compute(string secret, string t, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(Encoding.ASCII.GetBytes(t + "."));
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }

    /// <summary>1–12 ASCII digits (no sign, spaces or other digits), so the value always fits and is the signed text.</summary>
    private static bool TryParseSeconds(string t, out long seconds)
    {
        seconds = 0;
        return t.Length is > 0 and <= 12 && !t.AsSpan().ContainsAnyExceptInRange('0', '9')
            && long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out seconds);
    }

    private static bool IsLowerHex(string value, int length) => value.Length == length && value.All(char.IsAsciiHexDigitLower);

    /// <summary>The comma-separated <c>name=value</c> parts, each trimmed; a part without <c>=</c> has an empty value.</summary>
    private static List<(string Name, string Value)> Parts(string header)
    {
        var parts = new List<(string Name, string Value)>();
        foreach (var range in header.AsSpan().Split(','))
        {
            var part = header.AsSpan(range).Trim();
            var equals = part.IndexOf('=');
            parts.Add(equals < 0
                ? (part.ToString(), "")
                : (part[..equals].Trim().ToString(), part[(equals + 1)..].Trim().ToString()));
        }

        return parts;
    }
}

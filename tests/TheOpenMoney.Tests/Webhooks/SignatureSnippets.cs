using System.Security.Cryptography;
#pragma warning disable IDE0005 // global in the test project; kept so the snippet compiles where partners paste it
using System.Text;
#pragma warning restore IDE0005

namespace TheOpenMoney.Tests.Webhooks;

/// <summary>
/// The C# verification snippet partners copy (README, "Partner webhooks"): self-contained, System.Security.Cryptography
/// and System.Text only, .NET 8 or later. Kept here so the tests run exactly the text that is published.
/// </summary>
public static class SignatureSnippets
{
    // Verifies a TOM-Signature header. rawBody: the request body bytes exactly as received (read them before any JSON
    // parsing); secret: the whole whsec_... string. Any v1= may match (two are sent while a secret is being rotated).
    public static bool Verify(string header, byte[] rawBody, string secret, long toleranceSeconds = 300)
    {
        var timestamps = new List<string>();
        var signatures = new List<string>();
        foreach (var part in header.Split(','))
        {
            var pair = part.Split('=', 2);
            var value = pair.Length == 2 ? pair[1].Trim() : "";
            if (pair[0].Trim() == "t")
            {
                timestamps.Add(value);
            }
            else if (pair[0].Trim() == "v1")
            {
                signatures.Add(value);
            }
        }

        if (timestamps is not [{ Length: > 0 and <= 12 } t] || !t.All(char.IsAsciiDigit) || signatures.Count == 0
            || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(t)) > toleranceSeconds)
        {
            return false;
        }

        byte[] signed = [.. Encoding.ASCII.GetBytes(t + "."), .. rawBody];
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        var expected = Encoding.ASCII.GetBytes(Convert.ToHexString(mac).ToLowerInvariant());
        return signatures.Any(s => CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(s)));
    }
}

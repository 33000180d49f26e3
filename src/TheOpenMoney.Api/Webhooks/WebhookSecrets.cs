using System.Buffers.Text;
using System.Security.Cryptography;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// Webhook signing secrets: <c>whsec_</c> + base64url (no padding) of 32 random bytes, 49 characters, 256 bits.
/// The whole string is the HMAC key (see <see cref="WebhookSignature"/>).
/// </summary>
public static class WebhookSecrets
{
    /// <summary>What every secret starts with.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>Random bytes behind each secret.</summary>
    public const int RandomBytes = 32;

    /// <summary>Characters of a secret that may be shown again (<c>secret_prefix</c>): the marker and 6 random characters (36 bits).</summary>
    public const int DisplayLength = 12;

    /// <summary>A new secret from <see cref="RandomNumberGenerator"/>.</summary>
    public static string NewSecret() => SecretPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));

    /// <summary>The first <see cref="DisplayLength"/> characters, what <c>GET /webhook</c> shows as <c>secret_prefix</c>.</summary>
    /// <exception cref="ArgumentException">The value is too short to be a secret (it would be shown whole).</exception>
    public static string Prefix(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length <= DisplayLength)
        {
            throw new ArgumentException("Not a webhook secret: too short to show a prefix of.", nameof(secret));
        }

        return secret[..DisplayLength];
    }
}

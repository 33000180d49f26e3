namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// The keys that encrypt webhook secrets at rest (configuration section <c>Webhooks</c>); read by
/// <see cref="WebhookSecretProtector"/>. Never logged.
/// </summary>
public sealed class WebhookSecretOptions
{
    public const string Section = "Webhooks";

    /// <summary>Base64 of 32 random bytes (<c>openssl rand -base64 32</c>). Encrypts new secrets and decrypts. Required.</summary>
    public string? SecretKey { get; set; }

    /// <summary>
    /// The key used before the current <see cref="SecretKey"/> (base64 of 32 bytes), kept while rows it encrypted
    /// still exist: it only decrypts. Optional.
    /// </summary>
    public string? PreviousSecretKey { get; set; }
}

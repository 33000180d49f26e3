using System.Security.Cryptography;
using TheOpenMoney.Api.Infrastructure.Idempotency;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// Encrypts webhook secrets at rest (a <c>bytea</c> column) with AES-256-GCM under <c>Webhooks:SecretKey</c>.
/// Stored form: version byte (2) · key id byte · 12-byte random nonce · 16-byte tag · ciphertext; the version and
/// key id bytes and the owning partner's id are authenticated as associated data, so a value copied to another
/// partner's row does not decrypt there (version 1, written before that binding, still decrypts for any partner). The key id is the first byte of SHA-256(key), so a key
/// rotation needs no extra setting: put the old key in <c>Webhooks:PreviousSecretKey</c> and the new one in
/// <c>Webhooks:SecretKey</c>; new secrets are encrypted under the new key, old rows still decrypt. Should the
/// two ids collide (1 in 256), both keys are tried and the tag tells them apart.
/// Exception messages never contain a secret or a key.
/// </summary>
public sealed class WebhookSecretProtector : IStoredResponseProtector
{
    /// <summary>The format this class writes: bound to the partner.</summary>
    public const byte Version = 2;

    /// <summary>The first format: the same envelope, not bound to a partner (still read).</summary>
    public const byte UnboundVersion = 1;

    private const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int HeaderBytes = 2;
    private const int Overhead = HeaderBytes + NonceBytes + TagBytes;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Key _current;
    private readonly Key? _previous;

    /// <exception cref="InvalidOperationException">
    /// <c>Webhooks:SecretKey</c> is missing, or a key is not base64 of exactly 32 bytes.
    /// </exception>
    public WebhookSecretProtector(IOptions<WebhookSecretOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.SecretKey))
        {
            throw new InvalidOperationException(
                $"{WebhookSecretOptions.Section}:{nameof(WebhookSecretOptions.SecretKey)} is required (environment variable "
                + $"{WebhookSecretOptions.Section}__{nameof(WebhookSecretOptions.SecretKey)}): base64 of 32 random bytes, "
                + "e.g. the output of `openssl rand -base64 32`. It encrypts webhook secrets at rest.");
        }

        _current = Key.Parse(settings.SecretKey, nameof(WebhookSecretOptions.SecretKey));
        _previous = string.IsNullOrWhiteSpace(settings.PreviousSecretKey)
            ? null
            : Key.Parse(settings.PreviousSecretKey, nameof(WebhookSecretOptions.PreviousSecretKey));
    }

    /// <summary>The id byte written with each value encrypted under the current key.</summary>
    public byte CurrentKeyId => _current.Id;

    /// <summary>Encrypts <paramref name="secret"/> of partner <paramref name="partnerId"/> under the current key with a fresh random nonce.</summary>
    public byte[] Protect(string secret, long partnerId)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var plaintext = StrictUtf8.GetBytes(secret);
        try
        {
            return Protect(plaintext, partnerId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Encrypts any bytes of partner <paramref name="partnerId"/> (e.g. a stored answer that shows a secret) the same way.</summary>
    public byte[] Protect(ReadOnlySpan<byte> plaintext, long partnerId)
    {
        var stored = new byte[Overhead + plaintext.Length];
        stored[0] = Version;
        stored[1] = _current.Id;
        var nonce = stored.AsSpan(HeaderBytes, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_current.Bytes, TagBytes);
        aes.Encrypt(nonce, plaintext, stored.AsSpan(Overhead), stored.AsSpan(HeaderBytes + NonceBytes, TagBytes), AssociatedData(stored, partnerId));
        return stored;
    }

    /// <summary>Decrypts what <see cref="Protect(string, long)"/> stored for <paramref name="partnerId"/>, under the current or the previous key (by key id).</summary>
    /// <exception cref="CryptographicException">
    /// Too short, an unknown version or key id, or the authentication tag does not match (tampered, another
    /// partner's value, or encrypted under a key that is no longer configured).
    /// </exception>
    public string Unprotect(byte[] stored, long partnerId)
    {
        var plaintext = UnprotectBytes(stored, partnerId);
        try
        {
            return StrictUtf8.GetString(plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <inheritdoc cref="Unprotect"/>
    public byte[] UnprotectBytes(byte[] stored, long partnerId)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Length < Overhead)
        {
            throw new CryptographicException($"Stored webhook secret is {stored.Length} bytes, shorter than the {Overhead}-byte envelope.");
        }

        if (stored[0] is not (Version or UnboundVersion))
        {
            throw new CryptographicException($"Stored webhook secret has format version {stored[0]}; only {UnboundVersion} and {Version} are known.");
        }

        var keyId = stored[1];
        var candidates = new[] { _current, _previous }.Where(key => key is not null && key.Id == keyId).Cast<Key>().ToList();
        if (candidates.Count == 0)
        {
            throw new CryptographicException(
                $"Stored webhook secret was encrypted under key id {keyId}, which is neither Webhooks:SecretKey "
                + $"(id {_current.Id}) nor Webhooks:PreviousSecretKey{(_previous is null ? " (not set)" : $" (id {_previous.Id})")}.");
        }

        var plaintext = new byte[stored.Length - Overhead];
        foreach (var key in candidates)
        {
            if (TryDecrypt(key, stored, partnerId, plaintext))
            {
                return plaintext;
            }
        }

        CryptographicOperations.ZeroMemory(plaintext);
        throw new CryptographicException(
            $"Stored webhook secret (key id {keyId}) failed authentication: it was altered, belongs to another partner, or was encrypted under another key with the same id.");
    }

    byte[] IStoredResponseProtector.Protect(byte[] body, long partnerId) => Protect(body.AsSpan(), partnerId);

    byte[] IStoredResponseProtector.Unprotect(byte[] stored, long partnerId) => UnprotectBytes(stored, partnerId);

    /// <summary>The header, and from version 2 the partner id (8 bytes, big-endian) after it.</summary>
    private static byte[] AssociatedData(byte[] stored, long partnerId)
    {
        if (stored[0] == UnboundVersion)
        {
            return stored[..HeaderBytes];
        }

        var data = new byte[HeaderBytes + sizeof(long)];
        stored.AsSpan(0, HeaderBytes).CopyTo(data);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(HeaderBytes), partnerId);
        return data;
    }

    private static bool TryDecrypt(Key key, byte[] stored, long partnerId, byte[] plaintext)
    {
        using var aes = new AesGcm(key.Bytes, TagBytes);
        try
        {
            aes.Decrypt(
                stored.AsSpan(HeaderBytes, NonceBytes),
                stored.AsSpan(Overhead),
                stored.AsSpan(HeaderBytes + NonceBytes, TagBytes),
                plaintext,
                AssociatedData(stored, partnerId));
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    /// <summary>A key and its id byte (a class, not a record: nothing should ever print it).</summary>
    private sealed class Key(byte id, byte[] bytes)
    {
        public byte Id { get; } = id;

        public byte[] Bytes { get; } = bytes;

        public static Key Parse(string base64, string setting)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(base64.Trim());
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"{WebhookSecretOptions.Section}:{setting} is not valid base64 (expected base64 of 32 random bytes).");
            }

            if (bytes.Length != KeyBytes)
            {
                throw new InvalidOperationException(
                    $"{WebhookSecretOptions.Section}:{setting} decodes to {bytes.Length} bytes; AES-256 needs exactly {KeyBytes} (base64 of 32 random bytes).");
            }

            return new Key(SHA256.HashData(bytes)[0], bytes);
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace TheOpenMoney.Simulators;

/// <summary>The parts of a user-friendly TON address.</summary>
/// <param name="Workchain">Workchain id (bicycle only accepts 0).</param>
/// <param name="AccountId">The 32-byte account id as lower-case hex.</param>
/// <param name="Bounceable">Whether the bounceable tag (0x11) was used rather than 0x51.</param>
/// <param name="TestnetOnly">Whether the testnet flag (0x80) was set.</param>
public readonly record struct TonAddressInfo(int Workchain, string AccountId, bool Bounceable, bool TestnetOnly);

/// <summary>
/// User-friendly TON addresses: 36 bytes = tag, workchain, 32-byte account id, CRC-16/XMODEM
/// (big-endian) over the first 34 bytes; written as 48 characters of URL-safe base64.
/// </summary>
public static class TonAddress
{
    public const int AccountIdLength = 32;
    public const int EncodedLength = 48;

    private const int RawLength = 36;
    private const int ChecksummedLength = 34;
    private const byte BounceableTag = 0x11;
    private const byte NonBounceableTag = 0x51;
    private const byte TestnetFlag = 0x80;

    /// <summary>A fresh non-bounceable basechain address with a random account id.</summary>
    public static string CreateRandom(bool testnet)
    {
        Span<byte> accountId = stackalloc byte[AccountIdLength];
        RandomNumberGenerator.Fill(accountId);
        return Encode(0, accountId, bounceable: false, testnet);
    }

    /// <summary>Encodes an address in URL-safe user-friendly form.</summary>
    public static string Encode(int workchain, ReadOnlySpan<byte> accountId, bool bounceable, bool testnet)
    {
        if (accountId.Length != AccountIdLength)
        {
            throw new ArgumentException($"account id must be {AccountIdLength} bytes", nameof(accountId));
        }

        if (workchain is < sbyte.MinValue or > sbyte.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(workchain));
        }

        Span<byte> raw = stackalloc byte[RawLength];
        raw[0] = (byte)((bounceable ? BounceableTag : NonBounceableTag) | (testnet ? TestnetFlag : 0));
        raw[1] = unchecked((byte)(sbyte)workchain);
        accountId.CopyTo(raw[2..]);
        var crc = Crc16Xmodem(raw[..ChecksummedLength]);
        raw[34] = (byte)(crc >> 8);
        raw[35] = (byte)(crc & 0xFF);
        return Convert.ToBase64String(raw).Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// Parses a user-friendly address (URL-safe or standard base64) and checks its tag and CRC.
    /// </summary>
    public static bool TryParse(
        string? text,
        out TonAddressInfo address,
        [NotNullWhen(false)] out string? error)
    {
        address = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "empty address";
            return false;
        }

        if (text.Length != EncodedLength)
        {
            error = "incorrect address length";
            return false;
        }

        var standard = text.Replace('-', '+').Replace('_', '/');
        Span<byte> raw = stackalloc byte[RawLength];
        if (!Convert.TryFromBase64String(standard, raw, out var written) || written != RawLength)
        {
            error = "incorrect address encoding";
            return false;
        }

        var expected = Crc16Xmodem(raw[..ChecksummedLength]);
        if (raw[34] != (byte)(expected >> 8) || raw[35] != (byte)(expected & 0xFF))
        {
            error = "invalid address checksum";
            return false;
        }

        var testnet = (raw[0] & TestnetFlag) != 0;
        var tag = (byte)(raw[0] & ~TestnetFlag);
        if (tag is not (BounceableTag or NonBounceableTag))
        {
            error = "unknown address flag";
            return false;
        }

        address = new TonAddressInfo(
            unchecked((sbyte)raw[1]),
            Convert.ToHexStringLower(raw[2..ChecksummedLength]),
            tag == BounceableTag,
            testnet);
        error = null;
        return true;
    }

    /// <summary>CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection, no final xor.</summary>
    public static ushort Crc16Xmodem(ReadOnlySpan<byte> data)
    {
        var crc = 0;
        foreach (var b in data)
        {
            crc ^= b << 8;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }

            crc &= 0xFFFF;
        }

        return (ushort)crc;
    }
}

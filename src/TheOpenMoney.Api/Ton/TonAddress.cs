namespace TheOpenMoney.Api.Ton;

/// <summary>
/// User-friendly TON addresses: 36 bytes (flags, workchain, 32-byte account id, CRC16-XMODEM),
/// base64 or base64url, 48 characters. Payers are only ever shown the non-bounceable form
/// (<c>UQ…</c>, testnet <c>0Q…</c>): a bounceable transfer to an uninitialised deposit wallet bounces.
/// </summary>
public static class TonAddress
{
    private const byte Bounceable = 0x11;
    private const byte NonBounceable = 0x51;
    private const byte TestnetFlag = 0x80;

    /// <summary>True when <paramref name="address"/> is a well-formed user-friendly address with a correct checksum.</summary>
    public static bool IsValid(string? address) => TryDecode(address, out _);

    /// <summary>
    /// A testnet-form (<c>0Q…</c>) non-bounceable address of the basechain account <paramref name="accountId"/>
    /// (32 bytes), with its checksum: for test mode, where no real wallet should pay.
    /// </summary>
    public static string Testnet(ReadOnlySpan<byte> accountId)
    {
        if (accountId.Length != 32)
        {
            throw new ArgumentException("an account id is 32 bytes", nameof(accountId));
        }

        var bytes = new byte[36];
        bytes[0] = NonBounceable | TestnetFlag;
        bytes[1] = 0x00;
        accountId.CopyTo(bytes.AsSpan(2));
        return Encode(bytes);
    }

    /// <summary>True for a testnet-form address (<c>0Q…</c>, <c>kQ…</c>).</summary>
    public static bool IsTestnet(string? address) => TryDecode(address, out var bytes) && (bytes[0] & TestnetFlag) != 0;

    /// <summary>The same account as a non-bounceable base64url address, keeping the testnet flag.</summary>
    public static string ToNonBounceable(string address)
    {
        if (!TryDecode(address, out var bytes))
        {
            throw new FormatException("not a valid user-friendly TON address");
        }

        bytes[0] = (byte)(NonBounceable | (bytes[0] & TestnetFlag));
        return Encode(bytes);
    }

    /// <summary>Flags, workchain and account id (34 bytes) with their checksum, as base64url.</summary>
    private static string Encode(byte[] bytes)
    {
        var crc = Crc16(bytes.AsSpan(0, 34));
        bytes[34] = (byte)(crc >> 8);
        bytes[35] = (byte)crc;
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }

    private static bool TryDecode(string? address, out byte[] bytes)
    {
        bytes = [];
        if (address is not { Length: 48 })
        {
            return false;
        }

        var base64 = address.Replace('-', '+').Replace('_', '/');
        var buffer = new byte[36];
        if (!Convert.TryFromBase64String(base64, buffer, out var written) || written != 36)
        {
            return false;
        }

        var tag = (byte)(buffer[0] & ~TestnetFlag);
        if (tag is not (Bounceable or NonBounceable) || buffer[1] is not (0x00 or 0xFF))
        {
            return false;
        }

        var crc = Crc16(buffer.AsSpan(0, 34));
        if (buffer[34] != (byte)(crc >> 8) || buffer[35] != (byte)crc)
        {
            return false;
        }

        bytes = buffer;
        return true;
    }

    /// <summary>CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection.</summary>
    internal static ushort Crc16(ReadOnlySpan<byte> data)
    {
        var crc = 0;
        foreach (var b in data)
        {
            crc ^= b << 8;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }

        return (ushort)crc;
    }
}

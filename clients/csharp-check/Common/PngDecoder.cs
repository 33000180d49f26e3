using System.Buffers.Binary;
using System.IO.Compression;

namespace TheOpenMoney.ClientCheck;

/// <summary>
/// Just enough of a PNG reader (https://www.w3.org/TR/png/) to hand a QR code image to ZXing: the
/// chunks with their CRCs checked, IHDR, PLTE, the IDAT stream inflated (zlib), the five row filters
/// undone, and each pixel turned into 8-bit luminance. Greyscale and palette images of 1, 2, 4 or 8
/// bits, RGB(A) of 8 bits; not interlaced. QRCoder's <c>PngByteQRCode</c> writes 1-bit greyscale
/// (or 1-bit palette with colours), filter 0, in one IDAT.
/// </summary>
public static class PngDecoder
{
    private static readonly byte[] s_signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The image as one luminance byte per pixel, rows top to bottom.</summary>
    public static (int Width, int Height, byte[] Luminance) DecodeLuminance(byte[] png)
    {
        if (!png.AsSpan().StartsWith(s_signature))
        {
            throw new FormatException("not a PNG signature");
        }

        int width = 0, height = 0, bitDepth = 0, colorType = -1;
        byte[] palette = [];
        using var idat = new MemoryStream();
        var at = s_signature.Length;
        while (true)
        {
            // Chunk: length (big-endian), 4-letter type, data, CRC-32 of type and data.
            var length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at)));
            var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            if (Crc32(png.AsSpan(at + 4, length + 4)) != BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length)))
            {
                throw new FormatException($"bad CRC in the {type} chunk");
            }

            at += 12 + length;
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    (bitDepth, colorType) = (data[8], data[9]);
                    if (data[10] != 0 || data[11] != 0 || data[12] != 0)
                    {
                        throw new FormatException("unsupported compression, filter method or interlacing");
                    }

                    break;
                case "PLTE":
                    palette = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    return (width, height, Pixels(idat.ToArray(), width, height, bitDepth, colorType, palette));
                default:
                    break; // ancillary chunks (tRNS, ...) do not change what a scanner sees on white
            }
        }
    }

    private static byte[] Pixels(byte[] compressed, int width, int height, int bitDepth, int colorType, byte[] palette)
    {
        var channels = colorType switch
        {
            0 or 3 => 1,
            2 => 3,
            6 => 4,
            _ => throw new FormatException($"unsupported colour type {colorType}"),
        };
        if (channels > 1 ? bitDepth != 8 : bitDepth is not (1 or 2 or 4 or 8))
        {
            throw new FormatException($"unsupported bit depth {bitDepth} for colour type {colorType}");
        }

        var stride = ((width * channels * bitDepth) + 7) / 8;
        var filterUnit = Math.Max(1, channels * bitDepth / 8); // bytes to the "left" pixel
        var raw = new byte[height * (stride + 1)];
        using (var zlib = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            zlib.ReadExactly(raw);
        }

        var rows = new byte[height * stride];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var line = raw.AsSpan((y * (stride + 1)) + 1, stride);
            var current = rows.AsSpan(y * stride, stride);
            var above = y == 0 ? new byte[stride] : rows.AsSpan((y - 1) * stride, stride);
            for (var i = 0; i < stride; i++)
            {
                int left = i >= filterUnit ? current[i - filterUnit] : 0;
                int up = above[i];
                int upLeft = i >= filterUnit ? above[i - filterUnit] : 0;
                current[i] = (byte)(line[i] + filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new FormatException($"unknown filter {filter}"),
                });
            }
        }

        var luminance = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            var row = rows.AsSpan(y * stride, stride);
            for (var x = 0; x < width; x++)
            {
                luminance[(y * width) + x] = channels == 1
                    ? OneChannel(row, x, bitDepth, colorType, palette)
                    : Luma(row[x * channels], row[(x * channels) + 1], row[(x * channels) + 2]);
            }
        }

        return luminance;
    }

    private static byte OneChannel(ReadOnlySpan<byte> row, int x, int bitDepth, int colorType, byte[] palette)
    {
        // Samples narrower than a byte are packed from the most significant bit.
        var bit = x * bitDepth;
        var sample = (row[bit / 8] >> (8 - bitDepth - (bit % 8))) & ((1 << bitDepth) - 1);
        if (colorType == 0)
        {
            return (byte)(sample * 255 / ((1 << bitDepth) - 1));
        }

        return Luma(palette[3 * sample], palette[(3 * sample) + 1], palette[(3 * sample) + 2]);
    }

    private static byte Luma(int r, int g, int b) => (byte)(((299 * r) + (587 * g) + (114 * b)) / 1000);

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var (pa, pb, pc) = (Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c));
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>The PNG chunk CRC: CRC-32 (IEEE, reflected 0xEDB88320).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}

using System.Text.RegularExpressions;
using System.Xml.Linq;
using TheOpenMoney.Tests.Support;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace TheOpenMoney.ClientCheck;

/// <summary>
/// Reads the payment QR codes back to their text with ZXing.Net, as a scanning wallet would: the PNG through
/// <see cref="PngDecoder"/>, the SVG by painting QRCoder's dark runs (<c>M{x} {y}h{n}v1h-{n}z</c>, one unit per
/// module) on white.
/// </summary>
public static partial class QrCodes
{
    public static string FromPng(byte[] png)
    {
        var (width, height, luminance) = PngDecoder.DecodeLuminance(png);
        return Decode(luminance, width, height);
    }

    public static string FromSvg(byte[] svg)
    {
        var document = XDocument.Parse(Encoding.UTF8.GetString(svg));
        XNamespace ns = "http://www.w3.org/2000/svg";
        PartnerDay.Check(document.Root?.Name == ns + "svg", "the QR code is not an SVG document");
        var viewBox = (document.Root!.Attribute("viewBox")?.Value ?? "").Split(' ');
        PartnerDay.Check(viewBox.Length == 4, "the SVG has no viewBox");
        var modules = int.Parse(viewBox[2], CultureInfo.InvariantCulture);
        const int scale = 4;
        var size = modules * scale;
        var luminance = Enumerable.Repeat((byte)255, size * size).ToArray();
        var path = document.Root.Element(ns + "path")?.Attribute("d")?.Value ?? "";
        foreach (Match run in Run().Matches(path))
        {
            var (x, y, n) = (Number(run, 1), Number(run, 2), Number(run, 3));
            for (var py = y * scale; py < (y + 1) * scale; py++)
            {
                Array.Fill(luminance, (byte)0, (py * size) + (x * scale), n * scale);
            }
        }

        return Decode(luminance, size, size);
    }

    private static string Decode(byte[] luminance, int width, int height)
    {
        var source = new RGBLuminanceSource(luminance, width, height, RGBLuminanceSource.BitmapFormat.Gray8);
        var result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)));
        return result?.Text ?? throw new CheckFailedException("ZXing found no QR code in the image");
    }

    private static int Number(Match match, int group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"M(\d+) (\d+)h(\d+)v1h-\3z")]
    private static partial Regex Run();
}

using QRCoder;

namespace TheOpenMoney.Api.Ton;

/// <summary>
/// QR codes of a payment link, made with QRCoder: error correction level M (15 % of the code can be
/// lost), the standard 4-module quiet zone, black on white.
/// </summary>
public static class PaymentQr
{
    public const string SvgContentType = "image/svg+xml";
    public const string PngContentType = "image/png";

    /// <summary>Pixels (SVG user units) per module: a typical link (version 6–7, 49–53 modules with the quiet zone) is about 400 pixels wide.</summary>
    public const int PixelsPerModule = 8;

    /// <summary>
    /// An SVG document with width, height and a viewBox (<c>width="…" height="…" viewBox="0 0 … …"</c>):
    /// that size by default, scalable by CSS without blur.
    /// </summary>
    public static string Svg(string link)
    {
        using var data = Encode(link);
        using var svg = new SvgQRCode(data);
        return svg.GetGraphic(PixelsPerModule, "#000000", "#ffffff", drawQuietZones: true, SvgQRCode.SizingMode.WidthHeightAttribute);
    }

    /// <summary>A 1-bit greyscale PNG (QRCoder's own encoder; no System.Drawing).</summary>
    public static byte[] Png(string link)
    {
        using var data = Encode(link);
        using var png = new PngByteQRCode(data);
        return png.GetGraphic(PixelsPerModule, drawQuietZones: true);
    }

    private static QRCodeData Encode(string link)
    {
        ArgumentException.ThrowIfNullOrEmpty(link);
        return QRCodeGenerator.GenerateQrCode(link, QRCodeGenerator.ECCLevel.M);
    }
}

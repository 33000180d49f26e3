using System.Runtime.CompilerServices;

namespace TheOpenMoney.Api.Telegram;

/// <summary>
/// Telegram HTML (<c>parse_mode: HTML</c>). <see cref="Format"/> takes an interpolated string whose
/// literal parts are trusted markup and escapes every interpolated value (<c>&amp;</c>,
/// <c>&lt;</c>, <c>&gt;</c>, <c>"</c>), so a name like <c>&lt;b&gt;</c> can neither break nor
/// inject markup. Values wrapped in <see cref="RawHtml"/> are inserted as they are.
/// </summary>
public static class HtmlText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        if (text.AsSpan().IndexOfAny("&<>\"") < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                _ => null,
            } ?? c.ToString());
        }

        return builder.ToString();
    }

    public static string Format(ref HtmlInterpolatedStringHandler handler) => handler.ToStringAndClear();
}

/// <summary>Markup that is already safe (built by <see cref="HtmlText.Format"/> or a constant).</summary>
public readonly record struct RawHtml(string Value)
{
    public override string ToString() => Value;
}

/// <summary>Builds <see cref="HtmlText.Format"/> strings: literals as they are, values escaped.</summary>
[InterpolatedStringHandler]
public ref struct HtmlInterpolatedStringHandler
{
    private DefaultInterpolatedStringHandler _inner;

    public HtmlInterpolatedStringHandler(int literalLength, int formattedCount)
    {
        _inner = new DefaultInterpolatedStringHandler(literalLength, formattedCount, CultureInfo.InvariantCulture);
    }

    public void AppendLiteral(string value) => _inner.AppendLiteral(value);

    public void AppendFormatted(RawHtml value) => _inner.AppendLiteral(value.Value);

    public void AppendFormatted<T>(T value) => AppendFormatted(value, null);

    public void AppendFormatted<T>(T value, string? format)
    {
        var text = value is IFormattable formattable ? formattable.ToString(format, CultureInfo.InvariantCulture) : value?.ToString();
        _inner.AppendLiteral(HtmlText.Escape(text));
    }

    public string ToStringAndClear() => _inner.ToStringAndClear();
}

using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace TheOpenMoney.Api.Ton;

/// <summary>
/// An exact TON amount in base units (1 TON = 10⁹ nanoTON), written in JSON as a string of digits
/// (<c>"418000000"</c>, <c>"-3343000000"</c>). Every decimal TON amount a response carries has one of
/// these beside it, named by <see cref="TonAmount.TwinName"/> (<c>price_ton</c> → <c>price_nanoton</c>), made from
/// the same stored <c>bigint</c>: a client that must not round (a payment, a ledger) reads this one.
/// A string, because a JSON number this large is a double in JavaScript and in many parsers.
/// </summary>
[JsonConverter(typeof(NanotonJsonConverter))]
public readonly partial record struct Nanoton(long Value)
{
    /// <summary>The JSON Schema pattern of the text: an optional minus, then digits without leading zeros.</summary>
    public const string Pattern = "^-?(0|[1-9][0-9]{0,18})$";

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The twin of a TON amount (at most 9 fraction digits), e.g. for examples written in TON.</summary>
    public static Nanoton OfTon(decimal ton) => new(TonAmount.ToNano(ton));

    /// <summary>Reads the text form strictly (what <see cref="Pattern"/> allows, within <see cref="long"/>).</summary>
    public static bool TryParse(string? text, out Nanoton value)
    {
        value = default;
        if (text is null || !PatternRegex().IsMatch(text) || !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }

        value = new Nanoton(parsed);
        return true;
    }

    [GeneratedRegex(@"\A-?(0|[1-9][0-9]{0,18})\z", RegexOptions.CultureInvariant)]
    private static partial Regex PatternRegex();
}

/// <summary>Writes <see cref="Nanoton"/> as a JSON string and reads it back strictly (never from a JSON number).</summary>
public sealed class NanotonJsonConverter : JsonConverter<Nanoton>
{
    public override Nanoton Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Nanoton.TryParse(reader.GetString(), out var value)
            ? value
            : throw new JsonException("expected nanoTON as a string of digits");

    public override void Write(Utf8JsonWriter writer, Nanoton value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}

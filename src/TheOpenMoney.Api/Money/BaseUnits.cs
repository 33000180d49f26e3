using System.Text.Json.Serialization;

namespace TheOpenMoney.Api.Money;

/// <summary>
/// An exact amount in a currency's base units, written in JSON as a string of digits, like <see cref="Nanoton"/> (whose
/// format and strict reading it shares): the twin of a decimal amount in a currency other than TON, e.g.
/// <c>price_usdt</c> → <c>price_usdt_units</c> (USDT has 6 decimals: <c>"5230000"</c> is 5.23 USDT).
/// </summary>
[JsonConverter(typeof(BaseUnitsJsonConverter))]
public readonly record struct BaseUnits(long Value)
{
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Writes <see cref="BaseUnits"/> as a JSON string and reads it back strictly (never from a JSON number).</summary>
public sealed class BaseUnitsJsonConverter : JsonConverter<BaseUnits>
{
    public override BaseUnits Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Nanoton.TryParse(reader.GetString(), out var value)
            ? new BaseUnits(value.Value)
            : throw new JsonException("expected base units as a string of digits");

    public override void Write(Utf8JsonWriter writer, BaseUnits value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}

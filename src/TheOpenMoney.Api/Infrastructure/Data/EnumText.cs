using System.Collections.Frozen;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>
/// The text form of an enum, the same in JSON and in the database: snake_case of the member
/// name (<c>PendingPayment</c> → <c>pending_payment</c>). Columns hold it with a CHECK constraint.
/// </summary>
public static class EnumText<TEnum>
    where TEnum : struct, Enum
{
    private static readonly FrozenDictionary<TEnum, string> ToTextMap =
        Enum.GetValues<TEnum>().ToFrozenDictionary(v => v, v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));

    private static readonly FrozenDictionary<string, TEnum> FromTextMap =
        ToTextMap.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    public static IReadOnlyCollection<string> All => ToTextMap.Values;

    public static string ToText(TEnum value) => ToTextMap[value];

    public static TEnum Parse(string text) =>
        FromTextMap.TryGetValue(text, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name}");

    public static bool TryParse(string? text, out TEnum value)
    {
        value = default;
        return text is not null && FromTextMap.TryGetValue(text, out value);
    }

    public static ValueConverter<TEnum, string> Converter { get; } = new(v => ToText(v), s => Parse(s));
}

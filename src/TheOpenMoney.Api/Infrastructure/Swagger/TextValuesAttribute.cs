using System.Reflection;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>
/// Documents a string property's or query parameter's closed set of values as an OpenAPI <c>enum</c>:
/// the texts of an enum (through <see cref="EnumText{TEnum}"/>), the <c>public const string</c> fields of a
/// class (such as <see cref="ErrorCodes"/>), or values listed here. A set taken from a type is one shared
/// schema named after it (<c>OrderStatus</c>; a class's plural name made singular: <c>EventTypes</c> →
/// <c>EventType</c>), so a generated client has one enum type per set and none named after a parameter;
/// listed values are stated in place unless given a <see cref="Name"/>. Documentation only: validation
/// stays in the validators.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class TextValuesAttribute : Attribute
{
    public TextValuesAttribute(Type source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Values = source.IsEnum
            ? [.. (IEnumerable<string>)typeof(EnumText<>).MakeGenericType(source).GetProperty(nameof(EnumText<DayOfWeek>.All))!.GetValue(null)!]
            : [.. source.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
                .Select(f => (string)f.GetRawConstantValue()!)];
        Name = source.IsEnum || !source.Name.EndsWith('s') ? source.Name : source.Name[..^1];
    }

    public TextValuesAttribute(params string[] values) => Values = values;

    public IReadOnlyList<string> Values { get; }

    /// <summary>The shared schema's name in <c>components/schemas</c>; null: the values are stated in place.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// Marks a request property or query parameter the contract requires (and that may not be null), where
/// the C# type stays nullable so that a missing value reaches the validator and gets its 422 message.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class ContractRequiredAttribute : Attribute;

/// <summary>
/// Marks a response property that is left out of the JSON when it does not apply (instead of being
/// <c>null</c>): documented as optional and, when present, never null. The only exception to "every
/// property of a response is always sent".
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OmittedWhenAbsentAttribute : Attribute;

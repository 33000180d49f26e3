using System.Reflection;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>
/// Documents a string property's closed set of values as an OpenAPI <c>enum</c>: the texts of an enum
/// (through <see cref="EnumText{TEnum}"/>), the <c>public const string</c> fields of a class (such as
/// <see cref="ErrorCodes"/>), or values listed here. Documentation only: validation stays in the validators.
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
    }

    public TextValuesAttribute(params string[] values) => Values = values;

    public IReadOnlyList<string> Values { get; }
}

/// <summary>
/// Marks a request property or query parameter the contract requires (and that may not be null), where
/// the C# type stays nullable so that a missing value reaches the validator and gets its 422 message.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class ContractRequiredAttribute : Attribute;

using System.Text.RegularExpressions;
using FluentValidation;
using FluentValidation.Validators;

namespace TheOpenMoney.Api.Infrastructure.Validation;

/// <summary>A rule the OpenAPI document states as <c>enum</c>: the value is one of a fixed list.</summary>
public interface IAllowedValuesValidator
{
    IReadOnlyList<object> AllowedValues { get; }

    /// <summary>The name of the document's shared schema for the list (e.g. <c>PremiumMonths</c>), or null to state it in place.</summary>
    string? SchemaName { get; }
}

/// <summary>A rule the OpenAPI document states as <c>pattern</c>: the whole value matches it (ECMA-262 syntax).</summary>
public interface IPatternValidator
{
    string Pattern { get; }
}

/// <summary>The value, when given, is one of <see cref="AllowedValues"/>.</summary>
public sealed class AllowedValuesValidator<T, TValue>(IEnumerable<TValue> values, string? schemaName) : PropertyValidator<T, TValue>, IAllowedValuesValidator
{
    private readonly TValue[] values = [.. values];

    public override string Name => "AllowedValuesValidator";

    public IReadOnlyList<object> AllowedValues => [.. values.Select(v => (object)v!)];

    public string? SchemaName { get; } = schemaName;

    public override bool IsValid(ValidationContext<T> context, TValue value) => value is null || values.Contains(value);
}

/// <summary>
/// The value, when given, matches <see cref="Pattern"/> from its first character to its last. (A .NET
/// <c>$</c> also matches before a final line break; a full match does not let <c>"pandus\n"</c> through
/// where the document's pattern would refuse it.)
/// </summary>
public sealed class FullMatchValidator<T>(string pattern) : PropertyValidator<T, string?>, IPatternValidator
{
    private readonly Regex regex = new(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public override string Name => "FullMatchValidator";

    public string Pattern { get; } = pattern;

    public override bool IsValid(ValidationContext<T> context, string? value) => value is null || Matches(regex, value);

    /// <summary>Whether <paramref name="regex"/> matches all of <paramref name="value"/>.</summary>
    public static bool Matches(Regex regex, string value)
    {
        ArgumentNullException.ThrowIfNull(regex);
        ArgumentNullException.ThrowIfNull(value);
        return regex.Match(value) is { Success: true, Index: 0 } match && match.Length == value.Length;
    }
}

/// <summary>Rules written so that the OpenAPI document can state them (<c>Infrastructure/Swagger/DocumentedLimits</c> reads them).</summary>
public static class DocumentedRuleExtensions
{
    /// <summary>The value, when given, is one of <paramref name="values"/>; documented as <c>enum</c> (a shared schema when named).</summary>
    public static IRuleBuilderOptions<T, TValue> OneOf<T, TValue>(this IRuleBuilder<T, TValue> rule, IEnumerable<TValue> values, string? schemaName = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.SetValidator(new AllowedValuesValidator<T, TValue>(values, schemaName));
    }

    /// <summary>The value, when given, matches <paramref name="pattern"/> in full; documented as <c>pattern</c>.</summary>
    public static IRuleBuilderOptions<T, string?> MatchesInFull<T>(this IRuleBuilder<T, string?> rule, string pattern)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.SetValidator(new FullMatchValidator<T>(pattern));
    }
}

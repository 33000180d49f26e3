using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace TheOpenMoney.Api.Infrastructure.Validation;

/// <summary>
/// Reads instants in query strings (<c>created_from</c>, <c>from</c> …) as ISO 8601 with any UTC
/// offset (or <c>Z</c>, or none: then UTC), or a bare date (midnight UTC), and converts them to UTC,
/// which is all PostgreSQL's <c>timestamptz</c> parameters accept. Anything else is a validation
/// error naming the parameter, not the framework's "The value 'x' is not valid for From.".
/// </summary>
public sealed partial class UtcInstantBinder : OneQueryValueBinder
{
    protected override string Expected => "one ISO 8601 date-time, e.g. 2026-01-01T00:00:00Z or 2026-01-01T03:00:00+03:00";

    protected override object? TryRead(string text) => TryParse(text, out var instant) ? instant : null;

    /// <summary>Strict ISO 8601 (calendar date, optional time with optional fraction and offset), converted to UTC.</summary>
    public static bool TryParse(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (text is null || text.Length > 40 || !Iso8601().IsMatch(text))
        {
            return false;
        }

        try
        {
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return false;
            }

            instant = parsed.ToUniversalTime();
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            // An offset that moves the instant outside year 1–9999.
            return false;
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Iso8601();
}

/// <summary>Uses <see cref="UtcInstantBinder"/> for every <see cref="DateTimeOffset"/> (nullable or not) bound from the query or route.</summary>
public sealed class UtcInstantBinderProvider : IModelBinderProvider
{
    public IModelBinder? GetBinder(ModelBinderProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var type = Nullable.GetUnderlyingType(context.Metadata.ModelType) ?? context.Metadata.ModelType;
        return type == typeof(DateTimeOffset) && context.BindingInfo.BindingSource != BindingSource.Body ? new UtcInstantBinder() : null;
    }
}

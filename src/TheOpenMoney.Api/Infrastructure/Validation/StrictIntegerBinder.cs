using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace TheOpenMoney.Api.Infrastructure.Validation;

/// <summary>
/// Reads whole numbers in query strings (<c>limit</c>, <c>offset</c>, <c>after</c>, <c>quantity</c> …) as plain
/// decimal digits with an optional sign, nothing else. The framework's default goes through TypeConverter,
/// which also takes hex (<c>after=0x15</c> is 21) and surrounding spaces; a value a partner's client did not
/// mean must be a 422, not a different number.
/// </summary>
public sealed class StrictIntegerBinder(Type type) : OneQueryValueBinder
{
    protected override string Expected => "one whole number in decimal digits, e.g. 20";

    protected override object? TryRead(string text)
    {
        if (text.Length > 20 || !text.All(c => char.IsAsciiDigit(c) || c == '-'))
        {
            return null;
        }

        const NumberStyles digits = NumberStyles.AllowLeadingSign;
        if (type == typeof(int))
        {
            return int.TryParse(text, digits, CultureInfo.InvariantCulture, out var small) ? small : null;
        }

        return long.TryParse(text, digits, CultureInfo.InvariantCulture, out var large) ? large : null;
    }
}

/// <summary>Uses <see cref="StrictIntegerBinder"/> for every <see cref="int"/> and <see cref="long"/> (nullable or not) bound from the query.</summary>
public sealed class StrictIntegerBinderProvider : IModelBinderProvider
{
    public IModelBinder? GetBinder(ModelBinderProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var type = Nullable.GetUnderlyingType(context.Metadata.ModelType) ?? context.Metadata.ModelType;
        return (type == typeof(int) || type == typeof(long)) && context.BindingInfo.BindingSource == BindingSource.Query
            ? new StrictIntegerBinder(type)
            : null;
    }
}

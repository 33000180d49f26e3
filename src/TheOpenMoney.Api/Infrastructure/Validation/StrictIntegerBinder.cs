using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace TheOpenMoney.Api.Infrastructure.Validation;

/// <summary>
/// Reads whole numbers in query strings (<c>limit</c>, <c>offset</c>, <c>after</c>, <c>quantity</c> …) as plain
/// decimal digits with an optional sign, nothing else. The framework's default goes through TypeConverter,
/// which also takes hex (<c>after=0x15</c> is 21) and surrounding spaces; a value a partner's client did not
/// mean must be a 422, not a different number.
/// </summary>
public sealed class StrictIntegerBinder(Type type) : IModelBinder
{
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        ArgumentNullException.ThrowIfNull(bindingContext);
        var name = bindingContext.ModelName;
        var value = bindingContext.ValueProvider.GetValue(name);
        if (value == ValueProviderResult.None || string.IsNullOrEmpty(value.FirstValue))
        {
            return Task.CompletedTask;
        }

        bindingContext.ModelState.SetModelValue(name, value);
        var text = value.FirstValue;
        object? parsed = null;
        if (value.Length == 1 && text.Length <= 20 && text.All(c => char.IsAsciiDigit(c) || c == '-'))
        {
            const NumberStyles digits = NumberStyles.AllowLeadingSign;
            if (type == typeof(int) && int.TryParse(text, digits, CultureInfo.InvariantCulture, out var small))
            {
                parsed = small;
            }
            else if (type == typeof(long) && long.TryParse(text, digits, CultureInfo.InvariantCulture, out var large))
            {
                parsed = large;
            }
        }

        if (parsed is null)
        {
            bindingContext.ModelState.TryAddModelError(name, $"{name} must be one whole number in decimal digits, e.g. 20");
        }
        else
        {
            bindingContext.Result = ModelBindingResult.Success(parsed);
        }

        return Task.CompletedTask;
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

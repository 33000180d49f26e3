using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace TheOpenMoney.Api.Infrastructure.Validation;

/// <summary>
/// The shape of our strict query binders: absent or empty binds nothing (the validators say whether it was
/// required); one value that <see cref="TryRead"/> accepts binds; anything else (a repeated parameter, text
/// the reader refuses) is a validation error that names the parameter and says what is expected.
/// </summary>
public abstract class OneQueryValueBinder : IModelBinder
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
        if (value.Length == 1 && TryRead(value.FirstValue) is { } parsed)
        {
            bindingContext.Result = ModelBindingResult.Success(parsed);
        }
        else
        {
            bindingContext.ModelState.TryAddModelError(name, $"{name} must be {Expected}");
        }

        return Task.CompletedTask;
    }

    /// <summary>What the error says is expected, after "name must be".</summary>
    protected abstract string Expected { get; }

    /// <summary>The value read from the text, or null when the text is not one.</summary>
    protected abstract object? TryRead(string text);
}

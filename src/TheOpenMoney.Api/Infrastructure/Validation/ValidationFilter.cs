using System.Collections.Concurrent;
using FluentValidation;
using Microsoft.AspNetCore.Mvc.Filters;

namespace TheOpenMoney.Api.Infrastructure.Validation;

/// <summary>
/// Runs the FluentValidation validator of every action argument that has one; the first failure
/// becomes 422 <c>VALIDATION_ERROR</c> with its message (e.g. <c>quantity must be between 50 and 10000</c>).
/// Before that, a query parameter the action binds whose value is only spaces or line breaks is refused:
/// model binding turns it into "absent", which would silently widen a filter (<c>?type=%0d%0a</c> listing
/// every type). An empty value (<c>?type=</c>) still means "not given".
/// </summary>
public sealed class ValidationFilter(IServiceProvider services) : IAsyncActionFilter
{
    // Validators are singletons: each argument type's (or its absence) is looked up once, not per request.
    private readonly ConcurrentDictionary<Type, IValidator?> _validators = new();

    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (BlankQueryParameter(context) is { } blank)
        {
            throw ApiException.Validation($"{blank} must not be blank (leave it out to not filter by it)");
        }

        foreach (var argument in context.ActionArguments.Values)
        {
            if (argument is null)
            {
                continue;
            }

            var validator = _validators.GetOrAdd(argument.GetType(), type => services.GetService(typeof(IValidator<>).MakeGenericType(type)) as IValidator);
            if (validator is null)
            {
                continue;
            }

            var result = await validator.ValidateAsync(new ValidationContext<object>(argument), context.HttpContext.RequestAborted);
            if (!result.IsValid)
            {
                throw ApiException.Validation(result.Errors[0].ErrorMessage);
            }
        }

        await next();
    }

    /// <summary>The name of a bound query parameter given only whitespace, or null.</summary>
    private static string? BlankQueryParameter(ActionExecutingContext context)
    {
        foreach (var (name, values) in context.HttpContext.Request.Query)
        {
            if (values.Any(v => v is { Length: > 0 } && string.IsNullOrWhiteSpace(v))
                && context.ModelState.Keys.Any(k => k.Equals(name, StringComparison.OrdinalIgnoreCase) || k.EndsWith("." + name, StringComparison.OrdinalIgnoreCase)))
            {
                return name;
            }
        }

        return null;
    }
}

public static class ValidationSetup
{
    /// <summary>
    /// Every validator in the assembly (FluentValidation.DependencyInjectionExtensions; internal ones
    /// included) and the one filter that runs them. FluentValidation.AspNetCore's automatic validation
    /// is not used: it is synchronous, fills ModelState instead of our envelope, and its maintainers
    /// discourage it.
    /// </summary>
    public static IServiceCollection AddApiValidation(this IServiceCollection services)
    {
        ValidatorOptions.Global.DefaultClassLevelCascadeMode = CascadeMode.Stop;
        ValidatorOptions.Global.DefaultRuleLevelCascadeMode = CascadeMode.Stop;
        services.AddValidatorsFromAssemblyContaining<ValidationFilter>(ServiceLifetime.Singleton, includeInternalTypes: true);
        services.AddSingleton<ValidationFilter>();
        return services;
    }
}

using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using TheOpenMoney.Api.Infrastructure.Json;

namespace TheOpenMoney.Api.Infrastructure.Errors;

/// <summary>
/// MVC wired to the one error contract: framework client errors carry no ProblemDetails body
/// (the status-code envelope fills them), and model-binding failures — malformed JSON, wrong
/// types, unknown fields — become 422 <c>VALIDATION_ERROR</c>.
/// </summary>
public static partial class ErrorsSetup
{
    public static IMvcBuilder AddApiControllers(this IServiceCollection services)
    {
        services.AddSingleton<IPostConfigureOptions<MvcOptions>, Json.BufferedJsonOutputFormatter.Setup>();
        return services
            .AddControllers(options =>
            {
                // One instance each for every request (both are stateless), instead of one made per request.
                options.Filters.Add(new Http.StrictJsonBodyFilter());
                options.Conventions.Add(new ContractConventions());
                options.Filters.Add(new ServiceFilterAttribute(typeof(Validation.ValidationFilter)) { IsReusable = true });
                options.ModelBinderProviders.Insert(0, new Validation.UtcInstantBinderProvider());
                options.ModelBinderProviders.Insert(0, new Validation.StrictIntegerBinderProvider());
            })
            .AddJsonOptions(options => JsonDefaults.Apply(options.JsonSerializerOptions))
            .ConfigureApiBehaviorOptions(options =>
            {
                options.SuppressMapClientErrors = true;
                options.InvalidModelStateResponseFactory = context => new ObjectResult(
                    new ErrorEnvelope(ErrorCodes.ValidationError, Describe(context.ModelState)))
                {
                    StatusCode = StatusCodes.Status422UnprocessableEntity,
                    ContentTypes = { "application/json" },
                };
            });
    }

    /// <summary>One human sentence for the first model-state error, without .NET type names.</summary>
    internal static string Describe(ModelStateDictionary modelState)
    {
        // A JSON error (key "$…") explains the "field is required" that follows from it: report it first.
        foreach (var (key, entry) in modelState.OrderBy(e => e.Key.StartsWith('$') ? 0 : 1))
        {
            if (entry is null)
            {
                continue;
            }

            foreach (var error in entry.Errors)
            {
                return DescribeOne(key, error);
            }
        }

        return "invalid request";
    }

    private static string DescribeOne(string key, ModelError error)
    {
        var message = error.Exception?.Message ?? error.ErrorMessage;
        var field = key.StartsWith('$') ? key.TrimStart('$').TrimStart('.') : key;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            var match = QuotedName().Match(message);
            return $"unknown field '{(match.Success ? match.Groups[1].Value : field)}'";
        }

        if (message.StartsWith("Duplicate property", StringComparison.Ordinal))
        {
            var match = QuotedName().Match(message);
            return match.Success ? $"duplicate field '{match.Groups[1].Value}'" : "duplicate field in the request body";
        }

        if (message.Contains("non-empty request body is required", StringComparison.Ordinal))
        {
            return "request body is required";
        }

        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) && field.Length > 0)
        {
            return $"{field} has an invalid value or type";
        }

        if (error.Exception is JsonException || key.StartsWith('$') || field.Length == 0)
        {
            return field.Length > 0 ? $"malformed JSON near {field}" : "request body is not valid JSON";
        }

        return message.StartsWith(field + " ", StringComparison.Ordinal) ? message : $"{field}: {message}";
    }

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex QuotedName();
}

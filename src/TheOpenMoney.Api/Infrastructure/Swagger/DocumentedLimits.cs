using System.Reflection;
using System.Text.Json.Nodes;
using FluentValidation;
using FluentValidation.Validators;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using TheOpenMoney.Api.Infrastructure.Validation;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>
/// States in the document what the validators check, read from the validators themselves (the same
/// instances that answer 422, so with the configured limits): <c>InclusiveBetween</c> as
/// <c>minimum</c>/<c>maximum</c>, <c>GreaterThanOrEqualTo</c>/<c>LessThanOrEqualTo</c> with a constant
/// as one of them, <c>Length</c>/<c>MaximumLength</c> as <c>minLength</c>/<c>maxLength</c>, <c>NotEmpty</c>
/// on text as <c>minLength: 1</c>, <see cref="IAllowedValuesValidator"/> as <c>enum</c> (a shared schema
/// when named) and <see cref="IPatternValidator"/> as <c>pattern</c>. Rules the document cannot state
/// (e.g. "from must not be after to") are in the descriptions.
/// </summary>
public sealed class DocumentedLimits(IServiceProvider services)
{
    /// <summary>
    /// Applies the rules on <paramref name="property"/> of <paramref name="container"/> (and of the type that
    /// declares it, for rules a validator includes from a base type's validator) to <paramref name="schema"/>;
    /// returns the schema to use, which is a reference to a shared schema when the rule names one.
    /// </summary>
    public IOpenApiSchema Apply(IOpenApiSchema schema, Type container, PropertyInfo property, SchemaRepository repository)
    {
        ArgumentNullException.ThrowIfNull(property);
        ArgumentNullException.ThrowIfNull(repository);
        foreach (var validator in ValidatorsOf(property, container).Select(p => p.Validator))
        {
            if (validator is IAllowedValuesValidator { SchemaName: { } name } allowed)
            {
                schema = EnumSchemas.Shared(name, allowed.AllowedValues, repository, schema.Description);
                continue;
            }

            if (schema is OpenApiSchema concrete)
            {
                Describe(concrete, validator);
            }
        }

        return schema;
    }

    /// <summary>Every property validator on <paramref name="property"/>, with the validator type it belongs to.</summary>
    public IEnumerable<(Type Owner, IPropertyValidator Validator)> ValidatorsOf(PropertyInfo property, Type container)
    {
        ArgumentNullException.ThrowIfNull(property);
        foreach (var owner in new[] { container, property.DeclaringType! }.Distinct())
        {
            if (services.GetService(typeof(IValidator<>).MakeGenericType(owner)) is not IValidator validator)
            {
                continue;
            }

            foreach (var rule in validator.CreateDescriptor().GetRulesForMember(property.Name))
            {
                foreach (var component in rule.Components)
                {
                    yield return (validator.GetType(), component.Validator);
                }
            }
        }
    }

    private static void Describe(OpenApiSchema schema, IPropertyValidator validator)
    {
        switch (validator)
        {
            case IBetweenValidator between when validator.Name == "InclusiveBetweenValidator":
                schema.Minimum = Number(between.From);
                schema.Maximum = Number(between.To);
                break;
            case IComparisonValidator { MemberToCompare: null, ValueToCompare: { } value } comparison:
                switch (comparison.Comparison)
                {
                    case Comparison.GreaterThanOrEqual:
                        schema.Minimum = Number(value);
                        break;
                    case Comparison.LessThanOrEqual:
                        schema.Maximum = Number(value);
                        break;
                }

                break;
            case ILengthValidator length:
                if (length.Min > 0)
                {
                    schema.MinLength = length.Min;
                }

                if (length.Max >= 0)
                {
                    schema.MaxLength = length.Max;
                }

                break;
            case INotEmptyValidator when schema.Type?.HasFlag(JsonSchemaType.String) == true:
                schema.MinLength = Math.Max(schema.MinLength ?? 0, 1);
                break;
            case IAllowedValuesValidator allowed:
                schema.Enum = [.. allowed.AllowedValues.Select(v => JsonValue.Create(v)).OfType<JsonNode>()];
                break;
            case IPatternValidator pattern:
                schema.Pattern = pattern.Pattern;
                break;
        }
    }

    private static string Number(object value) => Convert.ToString(value, CultureInfo.InvariantCulture)!;
}

/// <summary>Shared <c>enum</c> schemas in <c>components/schemas</c>, one per closed set of values.</summary>
internal static class EnumSchemas
{
    /// <summary>A reference to the shared schema <paramref name="name"/> (made on first use), with <paramref name="description"/> beside it.</summary>
    public static OpenApiSchemaReference Shared(string name, IEnumerable<object> values, SchemaRepository repository, string? description = null)
    {
        if (!repository.Schemas.ContainsKey(name))
        {
            var list = values.ToList();
            repository.AddDefinition(name, new OpenApiSchema
            {
                Type = list.All(v => v is string) ? JsonSchemaType.String : JsonSchemaType.Integer,
                Format = list.All(v => v is int) ? "int32" : null,
                Enum = [.. list.Select(v => JsonValue.Create(v)).OfType<JsonNode>()],
            });
        }

        return new OpenApiSchemaReference(name) { Description = description };
    }
}

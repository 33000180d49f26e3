using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>
/// Makes the schemas a typed contract: the closed sets of string values as enums
/// (<see cref="TextValuesAttribute"/>), the success and error envelopes told apart by <c>ok</c>
/// (<c>true</c> or <c>false</c>, and <c>data: null</c> in errors), nullable references marked nullable,
/// and request properties marked <see cref="ContractRequiredAttribute"/> required and non-null.
/// Response schemas get every property required in <see cref="ResponseSchemasDocumentFilter"/>.
/// </summary>
internal sealed class ContractSchemaFilter(DocumentedLimits limits) : ISchemaFilter
{
    /// <summary>The TON amounts' step: they have at most 9 fraction digits (nanoTON).</summary>
    private const decimal NanotonStep = 0.000000001m;

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        if (((ICustomAttributeProvider?)context.MemberInfo ?? context.ParameterInfo) is { } member)
        {
            ApplyToMember(concrete, member);
        }
        else if (context.Type is { IsClass: true } type && concrete.Properties is { Count: > 0 })
        {
            ApplyToType(concrete, type, context.SchemaRepository);
        }
    }

    private static void ApplyToMember(OpenApiSchema schema, ICustomAttributeProvider member)
    {
        if (member.GetCustomAttributes(typeof(TextValuesAttribute), inherit: false).OfType<TextValuesAttribute>().FirstOrDefault() is { } values)
        {
            schema.Enum = [.. values.Values.Select(v => (JsonNode)JsonValue.Create(v))];
            if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Null))
            {
                schema.Enum.Add(null!);
            }
        }

        if (member.IsDefined(typeof(ContractRequiredAttribute), inherit: false) && schema.Type is { } required)
        {
            schema.Type = required & ~JsonSchemaType.Null;
        }

        // Computed properties (the envelopes' ok and data) are in every response, not "read-only" ones.
        schema.ReadOnly = false;
    }

    private static bool IsTonAmount(PropertyInfo property, string name, IDictionary<string, IOpenApiSchema> properties)
    {
        var twin = TonAmount.TwinName(name);
        return twin != name && property.PropertyType == typeof(decimal)
            ? properties.ContainsKey(twin)
            : twin != name && property.PropertyType == typeof(decimal?) && !name.Split('_').Contains("usd");
    }

    private void ApplyToType(OpenApiSchema schema, Type type, SchemaRepository repository)
    {
        var properties = schema.Properties!;
        var nullability = new NullabilityInfoContext();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = JsonName(property);
            if (!properties.TryGetValue(name, out var propertySchema))
            {
                continue;
            }

            if (property.GetCustomAttribute<ContractRequiredAttribute>() is not null)
            {
                schema.Required ??= new SortedSet<string>(StringComparer.Ordinal);
                schema.Required.Add(name);
            }

            // A TON amount has at most 9 fraction digits: an answer's decimal with its exact nanoTON twin beside
            // it, or a request's *_ton decimal (the partner sends one amount; the validator refuses a 10th digit).
            if (propertySchema is OpenApiSchema amount && IsTonAmount(property, name, properties))
            {
                amount.MultipleOf = NanotonStep;
            }
            else if (propertySchema is OpenApiSchema usdt && name.EndsWith("_usdt", StringComparison.Ordinal) && properties.ContainsKey(name + "_units"))
            {
                // A USDT amount has at most 6 fraction digits, with its exact twin in base units beside it.
                usdt.MultipleOf = 0.000001m;
            }

            // What the validators check, stated in the schema of a request body's property.
            propertySchema = properties[name] = limits.Apply(propertySchema, type, property, repository);

            // A closed set taken from a type is one shared schema (one enum type in a generated client).
            var nullable = nullability.Create(property).ReadState == NullabilityState.Nullable && !property.IsDefined(typeof(ContractRequiredAttribute));
            if (property.GetCustomAttribute<TextValuesAttribute>() is { Name: { } enumName } values)
            {
                propertySchema = properties[name] = EnumSchemas.Shared(enumName, values.Values, repository, propertySchema.Description);
            }

            if (property.IsDefined(typeof(OmittedWhenAbsentAttribute)))
            {
                // Left out when it does not apply, never null: optional (ResponseSchemasDocumentFilter keeps it so).
                continue;
            }

            // A reference cannot be made nullable in place: "one of the referenced schema or null".
            if (propertySchema is OpenApiSchemaReference reference && !IsEnvelope(type) && nullable)
            {
                properties[name] = new OpenApiSchema
                {
                    OneOf = [reference, new OpenApiSchema { Type = JsonSchemaType.Null }],
                    Description = reference.Description,
                };
            }
        }

        if (IsEnvelope(type) && properties.TryGetValue("ok", out var ok) && ok is OpenApiSchema success)
        {
            success.Enum = [JsonValue.Create(true)];
            success.Description = "Always `true` in a success envelope.";
        }
        else if (type == typeof(ErrorEnvelope))
        {
            if (properties.TryGetValue("ok", out var okSchema) && okSchema is OpenApiSchema failure)
            {
                failure.Enum = [JsonValue.Create(false)];
                failure.Description = "Always `false` in an error envelope.";
            }

            properties["data"] = new OpenApiSchema { Type = JsonSchemaType.Null, Description = "Always `null` in an error envelope." };
        }
    }

    /// <summary>The success envelope: its <c>data</c> (a type parameter, so of unknown nullability) is never null.</summary>
    private static bool IsEnvelope(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ApiResponse<>);

    internal static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
}

/// <summary>
/// Query parameters: those marked <see cref="ContractRequiredAttribute"/> are <c>required</c>; what the
/// validators check is stated in their schemas (<see cref="DocumentedLimits"/>); a closed set is a reference
/// to its shared schema (a generated client then has no enum named after a parameter, such as <c>Type</c>).
/// </summary>
internal sealed class ContractParameterFilter(DocumentedLimits limits) : IParameterFilter
{
    public void Apply(IOpenApiParameter parameter, ParameterFilterContext context)
    {
        if (parameter is not OpenApiParameter concrete)
        {
            return;
        }

        var member = (ICustomAttributeProvider?)context.PropertyInfo ?? context.ParameterInfo;
        if (member?.IsDefined(typeof(ContractRequiredAttribute), inherit: false) == true)
        {
            concrete.Required = true;
        }

        if (context.PropertyInfo is { } property && concrete.Schema is { } schema
            && (context.ApiParameterDescription.ModelMetadata?.ContainerType ?? property.ReflectedType) is { } container)
        {
            concrete.Schema = limits.Apply(schema, container, property, context.SchemaRepository);
        }

        if (member?.GetCustomAttributes(typeof(TextValuesAttribute), inherit: false).OfType<TextValuesAttribute>().FirstOrDefault() is { } values)
        {
            concrete.Schema = values.Name is { } name
                ? EnumSchemas.Shared(name, values.Values, context.SchemaRepository)
                : new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. values.Values.Select(v => (JsonNode)JsonValue.Create(v))] };
        }
    }
}

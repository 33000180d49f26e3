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
internal sealed class ContractSchemaFilter : ISchemaFilter
{
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
            ApplyToType(concrete, type);
        }

        if (context.Type == typeof(Events.EventResponse) && concrete.Properties is { } eventProperties)
        {
            // data is one of three shapes, by type: {"order": …}, {"transaction": …} or {} (ping).
            eventProperties["data"] = new OpenApiSchema
            {
                Description = "`{\"order\": …}` for order.* (the order as it was then), `{\"transaction\": …}` for balance.* (the ledger row), `{}` for ping.",
                OneOf =
                [
                    DataWith("order", context.SchemaGenerator.GenerateSchema(typeof(Orders.OrderResponse), context.SchemaRepository)),
                    DataWith("transaction", context.SchemaGenerator.GenerateSchema(typeof(Balance.LedgerEntryResponse), context.SchemaRepository)),
                    new OpenApiSchema { Type = JsonSchemaType.Object, MaxProperties = 0 },
                ],
            };
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

    private static void ApplyToType(OpenApiSchema schema, Type type)
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

            // A reference cannot be made nullable in place: "one of the referenced schema or null".
            if (propertySchema is OpenApiSchemaReference reference && !IsEnvelope(type) && nullability.Create(property).ReadState == NullabilityState.Nullable)
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

    private static OpenApiSchema DataWith(string name, IOpenApiSchema value) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = new Dictionary<string, IOpenApiSchema> { [name] = value },
        Required = new SortedSet<string>(StringComparer.Ordinal) { name },
        AdditionalPropertiesAllowed = false,
    };

    /// <summary>The success envelope: its <c>data</c> (a type parameter, so of unknown nullability) is never null.</summary>
    private static bool IsEnvelope(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ApiResponse<>);

    private static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
}

/// <summary>Query parameters marked <see cref="ContractRequiredAttribute"/> are <c>required</c>.</summary>
internal sealed class ContractParameterFilter : IParameterFilter
{
    public void Apply(IOpenApiParameter parameter, ParameterFilterContext context)
    {
        var marked = context.PropertyInfo?.GetCustomAttribute<ContractRequiredAttribute>() ?? context.ParameterInfo?.GetCustomAttribute<ContractRequiredAttribute>();
        if (marked is not null && parameter is OpenApiParameter concrete)
        {
            concrete.Required = true;
        }
    }
}

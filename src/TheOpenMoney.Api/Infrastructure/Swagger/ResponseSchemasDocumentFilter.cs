using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>
/// Every property of a schema the API answers with is in every answer (the JSON writer never omits a
/// property: absent values are <c>null</c>), so each schema reachable from a response lists all its
/// properties as <c>required</c>; only the error envelope's <c>trace_id</c> (500 and 503 answers only) and the
/// properties marked <see cref="OmittedWhenAbsentAttribute"/> (an event's <c>data.order</c> and
/// <c>data.transaction</c>) are optional.
/// </summary>
internal sealed class ResponseSchemasDocumentFilter : IDocumentFilter
{
    private static readonly HashSet<string> Optional = ["trace_id"];

    /// <summary>Schema id → the properties of it that are left out when they do not apply.</summary>
    private static readonly Dictionary<string, HashSet<string>> OmittedWhenAbsent = typeof(ResponseSchemasDocumentFilter).Assembly.GetTypes()
        .Select(t => (Type: t, Names: t.GetProperties().Where(p => p.IsDefined(typeof(OmittedWhenAbsentAttribute), false)).Select(ContractSchemaFilter.JsonName).ToHashSet()))
        .Where(t => t.Names.Count > 0)
        .ToDictionary(t => SwaggerSetup.SchemaId(t.Type), t => t.Names, StringComparer.Ordinal);

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var schemas = document.Components?.Schemas;
        if (schemas is null)
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<IOpenApiSchema>();
        foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            foreach (var media in (operation.Responses ?? []).Values.SelectMany(r => r.Content?.Values ?? []))
            {
                if (media.Schema is { } schema)
                {
                    pending.Push(schema);
                }
            }
        }

        var ids = new Dictionary<IOpenApiSchema, string>(ReferenceEqualityComparer.Instance);
        while (pending.TryPop(out var schema))
        {
            if (schema is OpenApiSchemaReference reference)
            {
                if (reference.Reference.Id is { } id && seen.Add(id) && schemas.TryGetValue(id, out var target))
                {
                    ids[target] = id;
                    pending.Push(target);
                }

                continue;
            }

            if (schema is not OpenApiSchema concrete)
            {
                continue;
            }

            if (concrete.Properties is { Count: > 0 } properties)
            {
                var omitted = ids.TryGetValue(concrete, out var schemaId) && OmittedWhenAbsent.TryGetValue(schemaId, out var names) ? names : [];
                concrete.Required = new SortedSet<string>(properties.Keys.Where(k => !Optional.Contains(k) && !omitted.Contains(k)), StringComparer.Ordinal);
                foreach (var property in properties.Values)
                {
                    pending.Push(property);
                }
            }

            foreach (var child in (concrete.AllOf ?? []).Concat(concrete.OneOf ?? []).Concat(concrete.AnyOf ?? []))
            {
                pending.Push(child);
            }

            if (concrete.Items is { } items)
            {
                pending.Push(items);
            }

            if (concrete.AdditionalProperties is { } values)
            {
                pending.Push(values);
            }
        }
    }
}

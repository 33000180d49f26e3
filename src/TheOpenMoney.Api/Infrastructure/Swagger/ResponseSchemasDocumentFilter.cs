using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>
/// Every property of a schema the API answers with is in every answer (the JSON writer never omits a
/// property: absent values are <c>null</c>), so each schema reachable from a response lists all its
/// properties as <c>required</c>; only the error envelope's <c>trace_id</c> (500 and 503 answers only) is optional.
/// </summary>
internal sealed class ResponseSchemasDocumentFilter : IDocumentFilter
{
    private static readonly HashSet<string> Optional = ["trace_id"];

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

        while (pending.TryPop(out var schema))
        {
            if (schema is OpenApiSchemaReference reference)
            {
                if (reference.Reference.Id is { } id && seen.Add(id) && schemas.TryGetValue(id, out var target))
                {
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
                concrete.Required = new SortedSet<string>(properties.Keys.Where(k => !Optional.Contains(k)), StringComparer.Ordinal);
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

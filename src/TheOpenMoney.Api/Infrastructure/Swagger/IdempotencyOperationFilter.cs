using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using TheOpenMoney.Api.Infrastructure.Idempotency;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>Documents the <c>Idempotency-Key</c> request header and the <c>Idempotent-Replayed</c> response header on every <see cref="IdempotentAttribute"/> action.</summary>
internal sealed class IdempotencyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IdempotentAttribute>().Any())
        {
            return;
        }

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyHeaders.Key,
            In = ParameterLocation.Header,
            Required = false,
            Description =
                "Any unique string (a UUID), 1–255 printable ASCII characters without spaces (else 422 `VALIDATION_ERROR`). A retry with the same key and the same " +
                "request returns the first answer byte for byte with `Idempotent-Replayed: true` (kept 24 hours); the same " +
                "key with another request is 422 `IDEMPOTENCY_KEY_REUSED`; while the first is still running, 409 " +
                "`IDEMPOTENCY_IN_PROGRESS`.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyHeaders.KeyMaxLength, Pattern = IdempotencyHeaders.KeyPattern },
            Example = JsonValue.Create("5f0c7d2e-8a51-4c1b-9a43-2b8f3c6d9e10"),
        });
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse success)
        {
            success.Headers ??= new Dictionary<string, IOpenApiHeader>();
            success.Headers[IdempotencyHeaders.Replayed] = new OpenApiHeader
            {
                Description = "`true` when this is the stored answer of an earlier request with the same Idempotency-Key.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true")] },
            };
        }
    }
}

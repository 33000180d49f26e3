using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using TheOpenMoney.Api.Infrastructure.Idempotency;
using TheOpenMoney.Api.Infrastructure.Auth;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>
/// Documents, on every operation, each failure it can really answer with, in the error envelope and
/// with a realistic example: 401 (with <c>WWW-Authenticate</c>) and 429 (with <c>Retry-After</c> and
/// <c>RateLimit-*</c>) on keyed operations, 404 where a feature says what it means, 409/422 where the action
/// declares them or takes input, 413/415 on JSON bodies, 500 and 503 (with <c>Retry-After</c>) everywhere.
/// What only a feature knows — the meaning of a 404, the conflict behind a 409, a typical 422, the dependency
/// behind a 503 — comes from that feature's <see cref="IContractExamples.Failures"/>.
/// Keyed operations require the Bearer scheme and answer with the <c>RateLimit-*</c> headers;
/// <c>/health</c> declares <c>security: []</c>.
/// </summary>
internal sealed class ContractResponsesOperationFilter(IEnumerable<IContractExamples> features) : IOperationFilter
{
    private readonly Lazy<Dictionary<(string OperationId, int Status), ContractFailure>> _failures = new(() => features
        .SelectMany(f => f.Failures())
        .ToDictionary(f => (f.Key, f.Value.Status), f => f.Value));

    private ContractFailure? Failure(string operationId, int status) => _failures.Value.GetValueOrDefault((operationId, status));

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var envelope = context.SchemaGenerator.GenerateSchema(typeof(ErrorEnvelope), context.SchemaRepository);
        var operationId = operation.OperationId ?? "";
        operation.Responses ??= [];

        if (anonymous)
        {
            operation.Security = [];
        }
        else
        {
            operation.Security = [new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(PartnerPrincipal.Scheme, context.Document)] = [],
            }];
            Error(operation, envelope, 401, "Missing, invalid or revoked key.", ErrorCodes.Unauthorized, "missing or invalid API key")
                .Headers![HeaderNames.WwwAuthenticate] = Header("`Bearer`: send `Authorization: Bearer osk_…`.", "Bearer");
            var limited = Error(
                operation,
                envelope,
                429,
                "Too many requests for this key; or too many failed authentications from this client address, so a request with a missing, " +
                "invalid or revoked key can be answered 429 instead of 401 until `Retry-After` has passed.",
                ErrorCodes.RateLimited,
                "rate limit exceeded for this API key; retry after the number of seconds in Retry-After");
            limited.Headers![HeaderNames.RetryAfter] = RetryAfter();
            AddRateLimitHeaders(limited);
            if (operation.Responses.TryGetValue("200", out var ok) && ok is OpenApiResponse success)
            {
                AddRateLimitHeaders(success);
            }
        }

        foreach (var jsonContent in operation.Responses.Values.Select(r => r.Content).OfType<IDictionary<string, IOpenApiMediaType>>())
        {
            // The API answers application/json only (MVC's formatter list also offers text/plain and text/json).
            if (jsonContent.ContainsKey("application/json"))
            {
                jsonContent.Remove("text/plain");
                jsonContent.Remove("text/json");
            }
        }

        if (operation.Responses.TryGetValue("200", out var image) && image.Content is { } content
            && content.Keys.Any(type => type.StartsWith("image/", StringComparison.Ordinal)))
        {
            // An image route answers with the image alone: success is never JSON there. The image is bytes
            // (SVG too: a client should hand it on, not parse it), so generators return a stream or a byte array.
            content.Remove("application/json");
            foreach (var (type, media) in content)
            {
                if (media is OpenApiMediaType concreteMedia)
                {
                    concreteMedia.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", ContentMediaType = type };
                }
            }
        }

        if (operation.RequestBody is OpenApiRequestBody body)
        {
            // A body is required (without one the answer is 422) unless the action takes none as its defaults.
            body.Required = !context.ApiDescription.ActionDescriptor.Parameters
                .Any(p => p.BindingInfo?.EmptyBodyBehavior == Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow);
        }

        if (Failure(operationId, 403) is { } forbidden)
        {
            Error(operation, envelope, 403, forbidden.Description!, forbidden.Code ?? ErrorCodes.Forbidden, forbidden.Message!);
        }

        if (Failure(operationId, 404) is { } missing)
        {
            Error(operation, envelope, 404, missing.Description!, missing.Code ?? ErrorCodes.NotFound, missing.Message!);
        }

        if (Failure(operationId, 409) is { } conflict && operation.Responses.ContainsKey("409"))
        {
            Error(operation, envelope, 409, conflict.Description!, conflict.Code!, conflict.Message!);
        }

        // Path parameters are route-constrained (a non-numeric id is 404), so only a body, a query or an Idempotency-Key can be invalid.
        var idempotent = metadata.OfType<IdempotentAttribute>().Any();
        var hasInput = operation.RequestBody is not null || operation.Parameters?.Any(p => p.In == ParameterLocation.Query) == true || idempotent;
        var invalid = Failure(operationId, 422);
        var invalidCode = invalid?.Code ?? ErrorCodes.ValidationError;
        if (hasInput || operation.Responses.ContainsKey("422"))
        {
            Error(operation, envelope, 422, "The request is not valid: the message says which field and why.", invalidCode, invalid?.Message ?? "the request is not valid");
        }

        if (operation.RequestBody is not null)
        {
            Error(
                operation,
                envelope,
                400,
                "The body's chunked encoding is malformed. Also, without a body, when the server refuses the request line or a header (invalid bytes such as a NUL, a header line without a colon) before reading it.",
                ErrorCodes.BadRequest,
                "malformed request body");
            Error(operation, envelope, 413, "The body is larger than the route accepts.", ErrorCodes.PayloadTooLarge, "request body too large");
            Error(operation, envelope, 415, "The body is not `application/json` (UTF-8).", ErrorCodes.UnsupportedMediaType, "Content-Type must be application/json");
        }

        KestrelRefusals(operation);

        var unavailable = Failure(operationId, 503);
        Error(
            operation,
            envelope,
            503,
            "A dependency is unavailable (the database, the rate source, TonRamp): retry after `Retry-After`.",
            unavailable?.Code ?? ErrorCodes.ServiceUnavailable,
            unavailable?.Message ?? "the database is not available right now; retry shortly",
            traceId: true)
            .Headers![HeaderNames.RetryAfter] = RetryAfter();
        Error(operation, envelope, 500, "Unexpected failure; quote `trace_id` to support.", ErrorCodes.InternalError, "internal error; quote trace_id when contacting support", traceId: true);

        if (idempotent && operation.Responses.TryGetValue("409", out var inProgress) && inProgress is OpenApiResponse)
        {
            // Documented in the response's description: the example stays the state conflict.
            Describe(operation, 409, " Also `IDEMPOTENCY_IN_PROGRESS` while a request with the same `Idempotency-Key` is still running.");
        }

        foreach (var status in (int[])[409, 422, 503])
        {
            if (Failure(operationId, status)?.Also is { } also)
            {
                Describe(operation, status, also);
            }
        }

        if (idempotent && invalidCode != ErrorCodes.IdempotencyKeyReused)
        {
            Describe(operation, 422, " Also `IDEMPOTENCY_KEY_REUSED` when the `Idempotency-Key` was used for another request.");
        }
    }

    /// <summary>
    /// What Kestrel answers itself, before the application and so without the envelope or any body: a
    /// request line or header with invalid bytes (400), a request line over 8 KB (414), headers over 32 KB
    /// (431). On a route with a body, 400 is also the <c>BAD_REQUEST</c> envelope (malformed chunked encoding).
    /// </summary>
    private static void KestrelRefusals(OpenApiOperation operation)
    {
        if (operation.RequestBody is null)
        {
            operation.Responses!["400"] = new OpenApiResponse
            {
                Description = "The server refused the request line or a header (invalid bytes such as a NUL, a header line without a colon) before reading it. No body.",
            };
        }

        operation.Responses!["414"] = new OpenApiResponse { Description = "The request line (method, path and query) is over 8 KB. No body." };
        operation.Responses["431"] = new OpenApiResponse { Description = "The request headers are over 32 KB in all. No body." };
    }

    private static OpenApiResponse Error(
        OpenApiOperation operation, IOpenApiSchema envelope, int status, string description, string code, string message, bool traceId = false)
    {
        var key = status.ToString(CultureInfo.InvariantCulture);
        var example = new JsonObject
        {
            ["ok"] = false,
            ["error_code"] = code,
            ["error_message"] = message,
            ["data"] = null,
        };
        if (traceId)
        {
            example["trace_id"] = "0HNH3T5QK2J4R:00000001";
        }

        if (!operation.Responses!.TryGetValue(key, out var existing) || existing is not OpenApiResponse response)
        {
            response = new OpenApiResponse();
            operation.Responses[key] = response;
        }

        response.Description = string.IsNullOrEmpty(response.Description) || response.Description is "Client Error" or "Server Error" or "Unprocessable Content" or "Not Found" or "Forbidden" or "Conflict" or "Service Unavailable"
            ? $"{description} `{code}`."
            : response.Description;
        response.Content = new Dictionary<string, IOpenApiMediaType>
        {
            ["application/json"] = new OpenApiMediaType { Schema = envelope, Example = example },
        };
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        return response;
    }

    private static void Describe(OpenApiOperation operation, int status, string more)
    {
        if (operation.Responses!.TryGetValue(status.ToString(CultureInfo.InvariantCulture), out var response) && response is OpenApiResponse concrete)
        {
            concrete.Description += more;
        }
    }

    private static void AddRateLimitHeaders(OpenApiResponse response)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers["RateLimit-Limit"] = Header("Requests this key may make in the current window.", 120, JsonSchemaType.Integer);
        response.Headers["RateLimit-Remaining"] = Header("Requests left in the current window.", 117, JsonSchemaType.Integer);
        response.Headers["RateLimit-Reset"] = Header("Seconds until the window resets.", 42, JsonSchemaType.Integer);
    }

    private static OpenApiHeader RetryAfter() => Header("Seconds to wait before retrying.", 5, JsonSchemaType.Integer);

    private static OpenApiHeader Header(string description, JsonNode example, JsonSchemaType type = JsonSchemaType.String) => new()
    {
        Description = description,
        Schema = new OpenApiSchema { Type = type },
        Example = example,
    };

    private static class HeaderNames
    {
        public const string WwwAuthenticate = "WWW-Authenticate";
        public const string RetryAfter = "Retry-After";
    }
}

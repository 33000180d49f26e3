using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// The POST we send to a partner's endpoint, as the document's OpenAPI 3.1 <c>webhooks</c> entry: the event
/// body (the same schema as an item of <c>GET /events</c>, with one example per kind), the <c>TOM-*</c>
/// headers with their formats, and what the partner's answer means.
/// </summary>
internal sealed class WebhooksDocumentFilter : IDocumentFilter
{
    public const string Name = "event";

    public const string OperationId = "receiveEvent";

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var body = new OpenApiMediaType
        {
            Schema = context.SchemaGenerator.GenerateSchema(typeof(EventResponse), context.SchemaRepository),
            Examples = WebhookContractExamples.ExampleEvents()
                .ToDictionary(e => e["type"]!.GetValue<string>(), e => (IOpenApiExample)new OpenApiExample { Value = e }),
        };
        var operation = new OpenApiOperation
        {
            OperationId = OperationId,
            Summary = "An event, posted to your webhook endpoint",
            Description =
                "Sent to the URL of `PUT /webhook` for each event type it subscribes to (`ping` always), at least once: " +
                "dedupe on the event id. Verify `TOM-Signature` over the raw body before trusting it, and refuse a `t` " +
                "more than 5 minutes from your clock. Answer any 2xx within `Webhooks:Timeout` (10 s) to acknowledge; " +
                "anything else, or no answer, is retried with exponential backoff and jitter (10 s doubling, at most 6 h " +
                "between attempts) until the event has waited 3 days, then the endpoint is disabled and you are told " +
                "through the bot. Redirects are not followed; at most 64 KB of your answer is read and it is ignored. " +
                "Order across events is not guaranteed: `GET /events` is the ordered record.",
            Tags = new HashSet<OpenApiTagReference> { new("Webhooks", document) },
            Security = [],
            Parameters =
            [
                Header(
                    "TOM-Signature",
                    "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>`; for 24 h after a rotation one more `v1=` made with each secret that signed before it (at most 4 retiring at once). Accept the request when any `v1` matches.",
                    new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^t=[0-9]+(,v1=[0-9a-f]{64}){1,5}$" },
                    "t=1776340920,v1=5f0c8e0d2b7a4c1e9f3d6b8a0c2e4f6a8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a"),
                Header(
                    "TOM-Event-Id",
                    "The event's id (the body's `id`): the same on every attempt of one event.",
                    new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[1-9][0-9]*$" },
                    "48212"),
                Header(
                    "TOM-Event-Type",
                    "The event's type (the body's `type`).",
                    new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. EventTypes.All.Select(t => (JsonNode)JsonValue.Create(t))] },
                    EventTypes.OrderPaid),
            ],
            RequestBody = new OpenApiRequestBody { Required = true, Content = new Dictionary<string, IOpenApiMediaType> { ["application/json"] = body } },
            Responses = new OpenApiResponses
            {
                ["2XX"] = new OpenApiResponse { Description = "Acknowledged: the event is delivered and not sent again (unless you ask for a redelivery)." },
                ["default"] = new OpenApiResponse { Description = "Any other status, a redirect, or no answer within 10 s: the attempt failed and is retried." },
            },
        };
        document.Webhooks ??= new Dictionary<string, IOpenApiPathItem>();
        document.Webhooks[Name] = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Post] = operation } };
    }

    private static OpenApiParameter Header(string name, string description, OpenApiSchema schema, string example) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = true,
        Description = description,
        Schema = schema,
        Example = JsonValue.Create(example),
    };
}

using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using TheOpenMoney.Api.Infrastructure.Json;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>
/// A feature's examples for the document: the <c>data</c> of each operation's successful answer (by
/// operationId, built from the response types, so an example cannot drift from its schema) and, where it
/// helps, a request body. Each feature registers its own (<see cref="ContractExamplesSetup.AddContractExamples{T}"/>).
/// </summary>
public interface IContractExamples
{
    /// <summary>The <c>data</c> of the 200 answer, by operationId.</summary>
    IEnumerable<KeyValuePair<string, object>> Successes();

    /// <summary>Request bodies (JSON text), by operationId.</summary>
    IEnumerable<KeyValuePair<string, string>> Requests() => [];

    /// <summary>
    /// What the document cannot guess about an operation's failures, by operationId: what a 404 means there,
    /// the state conflict behind its 409, the typical mistake behind its 422, the dependency behind its 503 —
    /// each with its error code and an example message (<see cref="ContractResponsesOperationFilter"/> writes them).
    /// </summary>
    IEnumerable<KeyValuePair<string, ContractFailure>> Failures() => [];
}

/// <summary>One failure of an operation as the document shows it.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Code">Its <c>error_code</c> (default: the status's usual one).</param>
/// <param name="Message">The example's <c>error_message</c>.</param>
/// <param name="Description">What the status means on this operation (default: the generic text of the status).</param>
/// <param name="Also">Added to the description: other codes or causes of the same status.</param>
public sealed record ContractFailure(int Status, string? Code = null, string? Message = null, string? Description = null, string? Also = null);

/// <summary>
/// Puts every feature's examples (<see cref="IContractExamples"/>) on its operations: the success envelope
/// <c>{"ok": true, "data": …}</c> on the 200 answer, and request bodies. The failures' examples come from
/// <see cref="ContractResponsesOperationFilter"/>.
/// </summary>
internal sealed class ContractExamplesOperationFilter(IEnumerable<IContractExamples> features) : IOperationFilter
{
    private readonly Lazy<Dictionary<string, JsonNode>> _successes = new(() => features
        .SelectMany(f => f.Successes())
        .ToDictionary(e => e.Key, e => ContractExamplesSetup.Envelope(e.Value)));

    private readonly Lazy<Dictionary<string, string>> _requests = new(() => features
        .SelectMany(f => f.Requests())
        .ToDictionary(e => e.Key, e => e.Value));

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId is not { } id)
        {
            return;
        }

        if (_requests.Value.TryGetValue(id, out var request)
            && operation.RequestBody?.Content?.TryGetValue("application/json", out var requestMedia) == true
            && requestMedia is OpenApiMediaType requestConcrete)
        {
            requestConcrete.Example = JsonNode.Parse(request);
        }

        if (_successes.Value.TryGetValue(id, out var example)
            && operation.Responses?.TryGetValue("200", out var response) == true
            && response.Content?.TryGetValue("application/json", out var media) == true
            && media is OpenApiMediaType concrete)
        {
            concrete.Example = example.DeepClone();
        }
    }
}

public static class ContractExamplesSetup
{
    /// <summary>The instant every example is told around (the partner docs' own order was created then).</summary>
    public static readonly DateTimeOffset ExampleInstant = new(2026, 4, 16, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Adds a feature's examples to the document.</summary>
    public static IServiceCollection AddContractExamples<TExamples>(this IServiceCollection services)
        where TExamples : class, IContractExamples =>
        services.AddSingleton<IContractExamples, TExamples>();

    /// <summary>
    /// Adds a feature's own part of the document (e.g. its OpenAPI 3.1 <c>webhooks</c> entry); run after the
    /// document's own filters, in the order features register them.
    /// </summary>
    public static IServiceCollection AddContractDocumentPart<TFilter>(this IServiceCollection services)
        where TFilter : class, IDocumentFilter =>
        services.AddSingleton<IContractDocumentPart>(sp => new ContractDocumentPart(ActivatorUtilities.CreateInstance<TFilter>(sp)));

    /// <summary><c>{"ok": true, "data": …}</c> as the API writes it.</summary>
    public static JsonNode Envelope(object data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new JsonObject { ["ok"] = true, ["data"] = JsonSerializer.SerializeToNode(data, data.GetType(), JsonDefaults.Shared) };
    }

    /// <summary>A feature's document filter, wrapped so the document machinery runs it without knowing the feature.</summary>
    public interface IContractDocumentPart
    {
        IDocumentFilter Filter { get; }
    }

    private sealed record ContractDocumentPart(IDocumentFilter Filter) : IContractDocumentPart;
}

/// <summary>Runs the features' own parts of the document (<see cref="ContractExamplesSetup.AddContractDocumentPart{TFilter}"/>).</summary>
internal sealed class ContractDocumentPartsFilter(IEnumerable<ContractExamplesSetup.IContractDocumentPart> parts) : IDocumentFilter
{
    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        foreach (var part in parts)
        {
            part.Filter.Apply(swaggerDoc, context);
        }
    }
}

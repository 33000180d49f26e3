using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Serialization;
using TheOpenMoney.Api.Orders;
using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Api.Fulfillment;

/// <summary>What to deliver. <see cref="IdempotencyKey"/> is the same on every attempt for an order.</summary>
public sealed record DeliveryRequest(long OrderId, string IdempotencyKey, OrderType Product, string Username, int? Stars, int? Months)
{
    public static DeliveryRequest For(Order order)
    {
        ArgumentNullException.ThrowIfNull(order);
        return new DeliveryRequest(order.Id, $"order-{order.Id}", order.OrderType, order.RecipientUsername, order.StarsAmount, order.PremiumMonths);
    }
}

public enum DeliveryOutcome
{
    Delivered,
    TransientFailure,
    PermanentFailure,
}

/// <summary>The supplier's answer: a reference when delivered, or why not.</summary>
public sealed record DeliveryResult(DeliveryOutcome Outcome, string? Reference, string? Reason)
{
    public static DeliveryResult Delivered(string reference) => new(DeliveryOutcome.Delivered, reference, null);

    public static DeliveryResult Transient(string reason) => new(DeliveryOutcome.TransientFailure, null, reason);

    public static DeliveryResult Permanent(string reason) => new(DeliveryOutcome.PermanentFailure, null, reason);
}

/// <summary>
/// Delivers Stars / gifts Premium (Fragment-style). Both calls are idempotent by
/// <see cref="DeliveryRequest.IdempotencyKey"/>: a retried delivery never delivers twice.
/// </summary>
public interface ISupplier
{
    Task<DeliveryResult> DeliverAsync(DeliveryRequest request, CancellationToken cancellationToken);

    /// <summary>What the supplier did for this key, or null when it never saw it (then delivering is safe).</summary>
    Task<DeliveryResult?> LookupAsync(string idempotencyKey, CancellationToken cancellationToken);
}

/// <summary>
/// Deterministic stand-in for local runs and tests: recipients starting with <c>fail</c> are refused
/// for good; everyone else is delivered, once per key, with reference <c>SIM-{order}</c>. Its memory
/// lasts as long as the process.
/// </summary>
public sealed class SimulatedSupplier : ISupplier
{
    private readonly Dictionary<string, DeliveryResult> _done = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public Task<DeliveryResult> DeliverAsync(DeliveryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (!_done.TryGetValue(request.IdempotencyKey, out var result))
            {
                result = request.Username.StartsWith("fail", StringComparison.OrdinalIgnoreCase)
                    ? DeliveryResult.Permanent("the supplier refused the recipient")
                    : DeliveryResult.Delivered($"SIM-{request.OrderId}");
                _done[request.IdempotencyKey] = result;
            }

            return Task.FromResult(result);
        }
    }

    public Task<DeliveryResult?> LookupAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_done.GetValueOrDefault(idempotencyKey));
        }
    }
}

/// <summary>
/// The HTTP supplier: <c>POST {BaseUrl}/v1/deliveries</c> with an <c>Idempotency-Key</c> header
/// (200 delivered with a reference; 422 refused for good; anything else transient) and
/// <c>GET {BaseUrl}/v1/deliveries/{key}</c> (404 = never seen).
/// </summary>
public sealed class HttpSupplier(HttpClient http) : ISupplier
{
    public async Task<DeliveryResult> DeliverAsync(DeliveryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/deliveries")
        {
            Content = JsonContent.Create(new SupplierDeliveryBody(
                request.OrderId,
                request.Product == OrderType.Stars ? "stars" : "premium",
                request.Username,
                request.Stars,
                request.Months)),
        };
        message.Headers.Add("Idempotency-Key", request.IdempotencyKey);
        try
        {
            using var response = await http.SendAsync(message, cancellationToken);
            return await ReadAsync(response, cancellationToken);
        }
        catch (Exception ex) when (HttpFailures.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Transient($"supplier unreachable ({ex.GetType().Name})");
        }
    }

    public async Task<DeliveryResult?> LookupAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"v1/deliveries/{Uri.EscapeDataString(idempotencyKey)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var body = await response.Content.ReadFromJsonAsync<SupplierAnswer>(cancellationToken);
        return response.IsSuccessStatusCode && body is not null
            ? body.Status == "delivered" && body.Reference is { } reference
                ? DeliveryResult.Delivered(reference)
                : DeliveryResult.Permanent(body.Error ?? "refused")
            : throw new HttpRequestException($"supplier lookup answered {(int)response.StatusCode}");
    }

    internal static void Configure(HttpClient client, SupplierOptions options)
    {
        client.BaseAddress = new Uri(options.BaseUrl!.TrimEnd('/') + "/");
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        }
    }

    private static async Task<DeliveryResult> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.UnprocessableEntity)
        {
            var refusal = await response.Content.ReadFromJsonAsync<SupplierAnswer>(cancellationToken);
            return DeliveryResult.Permanent(refusal?.Error ?? "the supplier refused the delivery");
        }

        if (!response.IsSuccessStatusCode)
        {
            return DeliveryResult.Transient($"supplier answered {(int)response.StatusCode}");
        }

        var answer = await response.Content.ReadFromJsonAsync<SupplierAnswer>(cancellationToken);
        return answer?.Reference is { Length: > 0 } reference
            ? DeliveryResult.Delivered(reference)
            : DeliveryResult.Transient("supplier answered without a reference");
    }

    private sealed record SupplierDeliveryBody(
        [property: JsonPropertyName("order_id")] long OrderId,
        [property: JsonPropertyName("product")] string Product,
        [property: JsonPropertyName("username")] string Username,
        [property: JsonPropertyName("quantity")] int? Quantity,
        [property: JsonPropertyName("months")] int? Months);

    private sealed record SupplierAnswer(
        [property: JsonPropertyName("reference")] string? Reference,
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("error")] string? Error);
}

using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace TheOpenMoney.Api.Infrastructure.Swagger;

/// <summary>The partner docs' own examples, attached to the operations they illustrate.</summary>
internal sealed class SeedExamplesOperationFilter : IOperationFilter
{
    private const string StarsRequest =
        """
        {
          "recipient_username": "pandus",
          "quantity": 100,
          "payment_method": "ton_memo",
          "payment_currency": "TON",
          "client_reference": "invoice-42"
        }
        """;

    private const string PremiumRequest =
        """
        {
          "recipient_username": "pandus",
          "months": 3,
          "payment_method": "balance",
          "client_reference": "invoice-43"
        }
        """;

    private const string StarsOrder =
        """
        {
          "ok": true,
          "data": {
            "id": 10421,
            "status": "pending_payment",
            "order_type": "stars",
            "stars_amount": 100,
            "premium_months": null,
            "recipient_username": "pandus",
            "recipient_check": "ELIGIBLE",
            "price_ton": 0.418,
            "price_usd": 1.5,
            "fee_percent": 0,
            "ton_usd_rate": 3.59,
            "payment_method": "ton_memo",
            "payment_currency": "TON",
            "payment_address": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWABy_",
            "payment_memo": "STARS-a1b2c3",
            "expires_at": "2026-04-16T12:15:00Z",
            "created_at": "2026-04-16T12:00:00Z",
            "paid_at": null,
            "completed_at": null,
            "cancelled_at": null,
            "expired_at": null,
            "failed_at": null,
            "paid_ton": 0,
            "payment_tx_hash": null,
            "client_reference": "invoice-42",
            "failure_reason": null,
            "refunded_ton": 0,
            "late_paid_ton": 0,
            "supplier_reference": null,
            "tonramp": null
          }
        }
        """;

    private const string ValidationError =
        """
        {
          "ok": false,
          "error_code": "VALIDATION_ERROR",
          "error_message": "quantity must be between 50 and 10000",
          "data": null
        }
        """;

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var path = "/" + context.ApiDescription.RelativePath?.TrimEnd('/');
        var method = context.ApiDescription.HttpMethod;
        switch (method, path)
        {
            case ("POST", "/api/v1/orders/stars"):
                SetRequestExample(operation, StarsRequest);
                SetResponseExample(operation, "200", StarsOrder);
                SetResponseExample(operation, "422", ValidationError);
                break;
            case ("POST", "/api/v1/orders/premium"):
                SetRequestExample(operation, PremiumRequest);
                break;
        }
    }

    private static void SetRequestExample(OpenApiOperation operation, string json)
    {
        if (operation.RequestBody?.Content?.TryGetValue("application/json", out var media) == true && media is OpenApiMediaType concrete)
        {
            concrete.Example = JsonNode.Parse(json);
        }
    }

    private static void SetResponseExample(OpenApiOperation operation, string status, string json)
    {
        if (operation.Responses?.TryGetValue(status, out var response) == true
            && response.Content?.TryGetValue("application/json", out var media) == true
            && media is OpenApiMediaType concrete)
        {
            concrete.Example = JsonNode.Parse(json);
        }
    }
}

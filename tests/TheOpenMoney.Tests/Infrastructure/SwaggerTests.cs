namespace TheOpenMoney.Tests.Infrastructure;

public sealed class SwaggerTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private async Task<JsonElement> DocumentAsync()
    {
        var response = await factory.CreateClient().GetAsync("/swagger/v1/swagger.json");
        Assert.Equal(200, (int)response.StatusCode);
        return await response.ReadJsonAsync();
    }

    [Fact]
    public async Task Swagger_ui_is_served_at_swagger()
    {
        var response = await factory.CreateClient().GetAsync("/swagger/index.html");

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("swagger-ui", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Document_declares_the_bearer_scheme()
    {
        var scheme = (await DocumentAsync()).GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");

        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task Keyed_operations_require_bearer_and_document_their_errors()
    {
        var get = (await DocumentAsync()).GetProperty("paths").GetProperty("/api/v1/partner").GetProperty("get");

        Assert.True(get.GetProperty("security")[0].TryGetProperty("Bearer", out _));
        foreach (var status in new[] { "200", "401", "429", "500" })
        {
            Assert.True(get.GetProperty("responses").TryGetProperty(status, out _), $"missing response {status}");
        }

        var unauthorized = get.GetProperty("responses").GetProperty("401").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal("#/components/schemas/ErrorEnvelope", unauthorized.GetProperty("$ref").GetString());
    }

    [Fact]
    public async Task Health_is_documented_without_a_key()
    {
        var get = (await DocumentAsync()).GetProperty("paths").GetProperty("/api/v1/health").GetProperty("get");

        // security: [] overrides any requirement: no key needed.
        Assert.Equal(0, get.GetProperty("security").GetArrayLength());
        Assert.True(get.GetProperty("responses").TryGetProperty("503", out _));
    }

    [Fact]
    public async Task Error_envelope_schema_uses_the_contract_names()
    {
        var properties = (await DocumentAsync()).GetProperty("components").GetProperty("schemas").GetProperty("ErrorEnvelope").GetProperty("properties");

        foreach (var name in new[] { "ok", "error_code", "error_message", "data" })
        {
            Assert.True(properties.TryGetProperty(name, out _), $"ErrorEnvelope lacks {name}");
        }
    }

    [Fact]
    public async Task Test_only_routes_stay_out_of_the_document()
    {
        var paths = (await DocumentAsync()).GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();

        Assert.DoesNotContain(paths, p => p.Contains("_test", StringComparison.Ordinal));
        Assert.All(paths, p => Assert.StartsWith("/api/v1/", p, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Document_lists_all_17_routes_of_the_seeds()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        (string Method, string Path)[] seeds =
        [
            ("post", "/api/v1/orders/stars"), ("post", "/api/v1/orders/premium"), ("get", "/api/v1/orders/{id}"), ("get", "/api/v1/orders"),
            ("get", "/api/v1/orders/by-memo/{memo}"), ("get", "/api/v1/orders/by-reference/{ref}"), ("get", "/api/v1/orders/stats/summary"),
            ("post", "/api/v1/orders/{id}/cancel"), ("get", "/api/v1/pricing/ton-rate"), ("get", "/api/v1/pricing/fee"),
            ("get", "/api/v1/pricing/estimate/stars"), ("get", "/api/v1/pricing/estimate/premium"), ("get", "/api/v1/recipients/stars"),
            ("get", "/api/v1/recipients/premium"), ("get", "/api/v1/balance"), ("get", "/api/v1/balance/transactions"), ("get", "/api/v1/health"),
        ];

        foreach (var (method, path) in seeds)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing");
            Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path} is missing");
            Assert.True(operation.GetProperty("responses").TryGetProperty("200", out _), $"{method} {path} has no 200 response");
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), $"{method} {path} has no summary");
        }
    }

    [Fact]
    public async Task Order_creation_documents_the_seed_example_idempotency_header_and_errors()
    {
        var post = (await DocumentAsync()).GetProperty("paths").GetProperty("/api/v1/orders/stars").GetProperty("post");

        var example = post.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example");
        Assert.Equal("pandus", example.GetProperty("recipient_username").GetString());
        Assert.Equal(100, example.GetProperty("quantity").GetInt32());
        Assert.Contains(post.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key");
        foreach (var status in new[] { "200", "401", "409", "422", "429", "500", "503" })
        {
            Assert.True(post.GetProperty("responses").TryGetProperty(status, out _), $"missing {status}");
        }

        var ok = post.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json");
        Assert.Equal("STARS-a1b2c3", ok.GetProperty("example").GetProperty("data").GetProperty("payment_memo").GetString());
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");
        var order = schemas.GetProperty("OrderResponse").GetProperty("properties");
        foreach (var field in new[] { "id", "status", "order_type", "stars_amount", "recipient_username", "price_ton", "payment_address", "payment_memo", "expires_at", "created_at" })
        {
            Assert.True(order.TryGetProperty(field, out _), $"OrderResponse lacks the seed field {field}");
        }
    }
}

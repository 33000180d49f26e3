using System.Text.Json;
using TheOpenMoney.Tests.Support;

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

        Assert.False(get.TryGetProperty("security", out _));
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
}

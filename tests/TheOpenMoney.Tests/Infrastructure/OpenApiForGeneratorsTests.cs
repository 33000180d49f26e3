namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// What client generators (NSwag, Kiota, openapi-typescript) need from the document, held as rules:
/// money as decimals with exact nanoTON twins and never a double, event data as one object, QR codes as bytes,
/// no enum stated inside a query parameter, required bodies, an absolute server, no schema of a .NET
/// implementation type, Kestrel's own answers listed, and what 429 and 422 also mean.
/// </summary>
public sealed class OpenApiForGeneratorsTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private async Task<JsonElement> DocumentAsync() =>
        await (await factory.CreateClient().GetAsync("/swagger/v1/swagger.json")).ReadJsonAsync();

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject().Select(op => (path.Name, op.Name, op.Value)));

    [Fact]
    public async Task Every_ton_amount_is_a_decimal_with_an_exact_nanoton_twin_and_nothing_is_a_double()
    {
        var document = await DocumentAsync();
        Assert.DoesNotContain("\"double\"", document.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("\"float\"", document.GetRawText(), StringComparison.Ordinal);
        var twins = new List<string>();
        var requests = Operations(document)
            .Where(op => op.Operation.TryGetProperty("requestBody", out _))
            .SelectMany(op => op.Operation.GetProperty("requestBody").GetProperty("content").EnumerateObject())
            .Select(content => content.Value.GetProperty("schema").GetProperty("$ref").GetString()!.Split('/')[^1])
            .ToHashSet();
        var requestAmounts = new List<string>();
        foreach (var schema in document.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            if (!schema.Value.TryGetProperty("properties", out var properties))
            {
                continue;
            }

            foreach (var property in properties.EnumerateObject())
            {
                var words = property.Name.Split('_');
                if (property.Value.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "number")
                {
                    Assert.Equal("decimal", property.Value.GetProperty("format").GetString());
                }

                if (!words.Contains("ton") || words.Contains("usd") || property.Value.TryGetProperty("$ref", out _))
                {
                    continue;
                }

                var where = $"{schema.Name}.{property.Name}";
                // An optional request amount is ["number", "null"]: still a number, never anything else.
                var declared = property.Value.GetProperty("type");
                Assert.Equal("number", declared.ValueKind == JsonValueKind.Array
                    ? Assert.Single(declared.EnumerateArray(), t => t.GetString() != "null").GetString()
                    : declared.GetString());
                Assert.Equal(0.000000001m, property.Value.GetProperty("multipleOf").GetDecimal());
                if (requests.Contains(schema.Name))
                {
                    // A request carries one amount (no twin to keep in step): exact by multipleOf alone.
                    requestAmounts.Add(where);
                    continue;
                }

                var twinName = string.Join('_', words.Select(w => w == "ton" ? "nanoton" : w));
                Assert.True(properties.TryGetProperty(twinName, out var twin), $"{where} has no twin {twinName}");
                Assert.Equal("string", twin.GetProperty("type").GetString());
                Assert.Equal("^-?(0|[1-9][0-9]{0,18})$", twin.GetProperty("pattern").GetString());
                var required = schema.Value.GetProperty("required").EnumerateArray().Select(r => r.GetString()).ToList();
                Assert.Contains(property.Name, required);
                Assert.Contains(twinName, required);
                twins.Add(twinName);
            }
        }

        Assert.Superset(
            new HashSet<string>(["price_nanoton", "paid_nanoton", "refunded_nanoton", "late_paid_nanoton", "amount_nanoton", "balance_after_nanoton", "balance_nanoton", "nanoton_received", "nanoton_spent", "nanoton_refunded", "nanoton_rounding_step"]),
            twins.ToHashSet());
        Assert.Contains("CreateWithdrawalRequest.amount_ton", requestAmounts);
    }

    [Fact]
    public async Task Event_data_is_one_object_with_an_optional_order_and_transaction()
    {
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");

        Assert.Equal("#/components/schemas/EventData", schemas.GetProperty("EventResponse").GetProperty("properties").GetProperty("data").GetProperty("$ref").GetString());
        var data = schemas.GetProperty("EventData");
        Assert.False(data.TryGetProperty("required", out _), "order and transaction are optional");
        Assert.False(data.TryGetProperty("oneOf", out _));
        Assert.Equal("#/components/schemas/OrderResponse", data.GetProperty("properties").GetProperty("order").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/LedgerEntryResponse", data.GetProperty("properties").GetProperty("transaction").GetProperty("$ref").GetString());
        Assert.False(data.GetProperty("additionalProperties").GetBoolean());
        Assert.False(schemas.TryGetProperty("JsonNode", out _));
        Assert.False(schemas.TryGetProperty("JsonNodeOptions", out _));
    }

    [Fact]
    public async Task Payment_qr_codes_are_binary_content()
    {
        var content = (await DocumentAsync()).GetProperty("paths").GetProperty("/api/v1/orders/{id}/payment-qr").GetProperty("get")
            .GetProperty("responses").GetProperty("200").GetProperty("content");

        Assert.Equal(["image/svg+xml", "image/png"], content.EnumerateObject().Select(c => c.Name).ToArray());
        foreach (var media in content.EnumerateObject())
        {
            Assert.Equal("string", media.Value.GetProperty("schema").GetProperty("type").GetString());
            Assert.Equal("binary", media.Value.GetProperty("schema").GetProperty("format").GetString());
            Assert.Equal(media.Name, media.Value.GetProperty("schema").GetProperty("contentMediaType").GetString());
        }
    }

    [Fact]
    public async Task Query_enums_are_shared_schemas_and_bodies_are_required()
    {
        var document = await DocumentAsync();
        var references = new List<string>();
        foreach (var (path, method, operation) in Operations(document))
        {
            foreach (var parameter in operation.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray() : Enumerable.Empty<JsonElement>())
            {
                var schema = parameter.GetProperty("schema");
                Assert.False(schema.TryGetProperty("enum", out _), $"{method} {path} {parameter.GetProperty("name")}: an enum stated in place becomes a type named after the parameter");
                if (schema.TryGetProperty("$ref", out var reference))
                {
                    references.Add($"{parameter.GetProperty("name")}={reference.GetString()!.Split('/')[^1]}");
                }
            }

            if (operation.TryGetProperty("requestBody", out var body))
            {
                // Required, except where no body means "all defaults" (the sandbox's simulated payment), and says so.
                var optional = operation.GetProperty("operationId").GetString() is "sandboxPayOrder";
                Assert.Equal(!optional, body.TryGetProperty("required", out var required) && required.GetBoolean());
            }
        }

        Assert.Superset(
            new HashSet<string>(["status=OrderStatus", "order_type=OrderType", "type=LedgerEntryType", "type=EventType", "format=PaymentQrFormat", "months=PremiumMonths"]),
            references.ToHashSet());
    }

    [Fact]
    public async Task Servers_name_an_absolute_url_and_every_operation_lists_what_kestrel_refuses()
    {
        var document = await DocumentAsync();

        var server = document.GetProperty("servers")[0].GetProperty("url").GetString()!;
        Assert.True(Uri.TryCreate(server, UriKind.Absolute, out _), $"servers[0] is {server}");
        Assert.Equal("http://127.0.0.1:8080", server);
        foreach (var (path, method, operation) in Operations(document))
        {
            var responses = operation.GetProperty("responses");
            foreach (var status in new[] { "400", "414", "431" })
            {
                Assert.True(responses.TryGetProperty(status, out _), $"{method} {path} does not list {status}");
            }

            if (responses.TryGetProperty("429", out var limited) && !path.EndsWith("/health", StringComparison.Ordinal))
            {
                Assert.Contains("instead of 401", limited.GetProperty("description").GetString(), StringComparison.Ordinal);
            }
        }

        var stats = document.GetProperty("paths").GetProperty("/api/v1/orders/stats/summary").GetProperty("get").GetProperty("responses").GetProperty("422");
        Assert.Contains("`from` is after `to`", stats.GetProperty("description").GetString(), StringComparison.Ordinal);
    }
}

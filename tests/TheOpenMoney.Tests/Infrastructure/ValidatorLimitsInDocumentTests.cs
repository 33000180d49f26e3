using System.Globalization;
using System.Text.RegularExpressions;
using FluentValidation;
using FluentValidation.Validators;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using TheOpenMoney.Api.Infrastructure.Idempotency;
using TheOpenMoney.Api.Infrastructure.Validation;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// The document states every limit the validators enforce, so a generated client (or a fuzzer) knows them:
/// each bound of each validator is compared with the schema of the body property or query parameter it
/// guards, and the documented bounds are then tried on the API itself (just inside: accepted; just outside:
/// 422). Neither can drift from the other.
/// </summary>
public sealed class ValidatorLimitsInDocumentTests(ValidatorLimitsInDocumentTests.Factory factory) : IClassFixture<ValidatorLimitsInDocumentTests.Factory>
{
    /// <summary>Stars limits other than the defaults: the document follows the configuration, as the validators do.</summary>
    public sealed class Factory : ApiFactory
    {
        public const int StarsMin = 75;
        public const int StarsMax = 6_000;

        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings["Pricing:StarsMin"] = StarsMin.ToString(CultureInfo.InvariantCulture);
            settings["Pricing:StarsMax"] = StarsMax.ToString(CultureInfo.InvariantCulture);
        }
    }

    private async Task<JsonElement> DocumentAsync() =>
        await (await factory.CreateClient().GetAsync("/swagger/v1/swagger.json")).ReadJsonAsync();

    [Fact]
    public async Task Every_validator_bound_is_the_bound_in_the_schema_of_what_it_validates()
    {
        var document = await DocumentAsync();
        var checkedLimits = new List<string>();
        foreach (var description in factory.Services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items.SelectMany(g => g.Items))
        {
            var path = "/" + description.RelativePath!.Split('?')[0].Replace(":long", "", StringComparison.Ordinal);
            var operation = document.GetProperty("paths").GetProperty(path).GetProperty(description.HttpMethod!.ToLowerInvariant());
            foreach (var parameter in description.ParameterDescriptions)
            {
                var body = parameter.Source.Id == "Body";
                var container = body ? parameter.Type : parameter.ModelMetadata?.ContainerType;
                if (container is null)
                {
                    continue;
                }

                foreach (var (member, validator) in ValidatorsOf(container))
                {
                    if (!body && member != parameter.ModelMetadata!.PropertyName)
                    {
                        continue;
                    }

                    var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(member);
                    var schema = body
                        ? Resolve(document, document.GetProperty("components").GetProperty("schemas").GetProperty(container.Name).GetProperty("properties").GetProperty(name))
                        : Resolve(document, operation.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == parameter.Name).GetProperty("schema"));
                    foreach (var (keyword, value) in Expected(validator) ?? [])
                    {
                        var where = $"{description.HttpMethod} {path} {name}";
                        Assert.True(schema.TryGetProperty(keyword, out var documented), $"{where}: the validator's {validator.Name} is not stated as {keyword}");
                        Assert.True(
                            JsonSerializer.Serialize(value) == JsonSerializer.Serialize(documented),
                            $"{where}: {keyword} is {JsonSerializer.Serialize(documented)}, the validator says {JsonSerializer.Serialize(value)}");
                        checkedLimits.Add($"{where} {keyword}");
                    }
                }
            }
        }

        // The limits the contract names are all among those compared (so this test cannot pass by comparing nothing).
        foreach (var limit in new[]
        {
            "POST /api/v1/orders/stars quantity minimum", "POST /api/v1/orders/stars quantity maximum",
            "POST /api/v1/orders/stars recipient_username pattern", "POST /api/v1/orders/stars client_reference maxLength",
            "POST /api/v1/orders/premium months enum", "GET /api/v1/pricing/estimate/stars quantity maximum",
            "GET /api/v1/pricing/estimate/premium months enum", "GET /api/v1/recipients/premium months enum",
            "GET /api/v1/recipients/stars username pattern", "GET /api/v1/orders limit minimum", "GET /api/v1/orders limit maximum",
            "GET /api/v1/orders offset minimum", "GET /api/v1/balance/transactions limit maximum", "GET /api/v1/webhook/deliveries offset minimum",
            "GET /api/v1/events limit maximum", "GET /api/v1/events after minimum", "PUT /api/v1/webhook url minLength", "PUT /api/v1/webhook url maxLength",
        })
        {
            Assert.Contains(limit, checkedLimits);
        }
    }

    [Fact]
    public async Task Stars_limits_in_the_document_are_the_configured_ones()
    {
        var quantity = (await DocumentAsync()).GetProperty("components").GetProperty("schemas").GetProperty("CreateStarsOrderRequest").GetProperty("properties").GetProperty("quantity");

        Assert.Equal(Factory.StarsMin, quantity.GetProperty("minimum").GetInt32());
        Assert.Equal(Factory.StarsMax, quantity.GetProperty("maximum").GetInt32());
    }

    [Fact]
    public async Task Numeric_bounds_in_the_document_are_the_bounds_the_api_enforces()
    {
        var document = await DocumentAsync();
        var partner = await PartnerApi.CreateAsync(factory, 71_001);
        (string Path, string Parameter)[] probes =
        [
            ("/api/v1/pricing/estimate/stars", "quantity"),
            ("/api/v1/orders", "limit"),
            ("/api/v1/orders", "offset"),
            ("/api/v1/orders/by-reference/ref-1", "limit"),
            ("/api/v1/balance/transactions", "limit"),
            ("/api/v1/balance/transactions", "offset"),
            ("/api/v1/events", "limit"),
            ("/api/v1/events", "after"),
            ("/api/v1/webhook/deliveries", "limit"),
        ];
        foreach (var (path, name) in probes)
        {
            var template = path.StartsWith("/api/v1/orders/by-reference/", StringComparison.Ordinal) ? "/api/v1/orders/by-reference/{ref}" : path;
            var schema = document.GetProperty("paths").GetProperty(template).GetProperty("get").GetProperty("parameters").EnumerateArray()
                .Single(p => p.GetProperty("name").GetString() == name).GetProperty("schema");
            if (schema.TryGetProperty("minimum", out var minimum))
            {
                await (await partner.Client.GetAsync($"{path}?{name}={minimum.GetInt64()}")).AssertOkAsync();
                await (await partner.Client.GetAsync($"{path}?{name}={minimum.GetInt64() - 1}")).AssertErrorAsync(422, "VALIDATION_ERROR");
            }

            if (schema.TryGetProperty("maximum", out var maximum))
            {
                await (await partner.Client.GetAsync($"{path}?{name}={maximum.GetInt64()}")).AssertOkAsync();
                await (await partner.Client.GetAsync($"{path}?{name}={maximum.GetInt64() + 1}")).AssertErrorAsync(422, "VALIDATION_ERROR");
            }

            Assert.True(schema.TryGetProperty("minimum", out _), $"{path} {name} has no documented minimum");
        }

        // Body: the Stars quantity, at and just past each bound.
        var quantity = document.GetProperty("components").GetProperty("schemas").GetProperty("CreateStarsOrderRequest").GetProperty("properties").GetProperty("quantity");
        await (await partner.CreateStarsAsync(quantity: quantity.GetProperty("minimum").GetInt32())).AssertOkAsync();
        await (await partner.CreateStarsAsync(quantity: quantity.GetProperty("maximum").GetInt32())).AssertOkAsync();
        await (await partner.CreateStarsAsync(quantity: quantity.GetProperty("minimum").GetInt32() - 1)).AssertErrorAsync(422, "VALIDATION_ERROR");
        await (await partner.CreateStarsAsync(quantity: quantity.GetProperty("maximum").GetInt32() + 1)).AssertErrorAsync(422, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Documented_plan_lengths_are_the_ones_accepted()
    {
        var document = await DocumentAsync();
        var partner = await PartnerApi.CreateAsync(factory, 71_002);
        var months = document.GetProperty("components").GetProperty("schemas").GetProperty("PremiumMonths").GetProperty("enum").EnumerateArray().Select(m => m.GetInt32()).ToList();

        Assert.Equal([3, 6, 12], months);
        foreach (var m in Enumerable.Range(0, 14))
        {
            var estimate = await partner.Client.GetAsync($"/api/v1/pricing/estimate/premium?months={m}");
            var order = await partner.CreatePremiumAsync(months: m);
            if (months.Contains(m))
            {
                await estimate.AssertOkAsync();
                await order.AssertOkAsync();
            }
            else
            {
                await estimate.AssertErrorAsync(422, "VALIDATION_ERROR");
                await order.AssertErrorAsync(422, "VALIDATION_ERROR");
            }
        }
    }

    [Theory]
    [InlineData("pandus", true)]
    [InlineData("@pandus", true)]
    [InlineData("Pandus_2026", true)]
    [InlineData("a2345678901234567890123456789012", true)]
    [InlineData("a23456789012345678901234567890123", false)]
    [InlineData("abcd", false)]
    [InlineData("_under", false)]
    [InlineData("1digit", false)]
    [InlineData("@@pandus", false)]
    [InlineData(" pandus", false)]
    [InlineData("pandus ", false)]
    [InlineData("pandus\n", false)]
    [InlineData("pan-dus", false)]
    [InlineData("pandús", false)]
    public async Task The_username_pattern_in_the_document_is_what_the_api_accepts(string username, bool valid)
    {
        var document = await DocumentAsync();
        var pattern = document.GetProperty("components").GetProperty("schemas").GetProperty("CreateStarsOrderRequest")
            .GetProperty("properties").GetProperty("recipient_username").GetProperty("pattern").GetString()!;
        var partner = await PartnerApi.CreateAsync(factory, 71_003);

        // The pattern uses only what ECMA-262 and .NET read alike; "\z" stands for JavaScript's "$" (no final line break).
        Assert.Equal(valid, Regex.IsMatch(username, pattern[..^1] + @"\z"));
        var check = await partner.Client.GetAsync($"/api/v1/recipients/stars?username={Uri.EscapeDataString(username)}");
        var order = await partner.CreateStarsAsync(username: username);
        if (valid)
        {
            await check.AssertOkAsync();
            await order.AssertOkAsync();
        }
        else
        {
            await check.AssertErrorAsync(422, "VALIDATION_ERROR");
            await order.AssertErrorAsync(422, "VALIDATION_ERROR");
        }
    }

    [Theory]
    [InlineData("5f0c7d2e-8a51-4c1b-9a43-2b8f3c6d9e10", true)]
    [InlineData("!", true)]
    [InlineData("~{}|[]", true)]
    [InlineData("a b", false)]
    [InlineData("tab\there", false)]
    [InlineData("ключ", false)]
    [InlineData("key\u007f", false)]
    public async Task The_idempotency_key_pattern_in_the_document_is_what_the_api_accepts(string key, bool valid)
    {
        var header = (await DocumentAsync()).GetProperty("paths").GetProperty("/api/v1/orders/stars").GetProperty("post").GetProperty("parameters")
            .EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Idempotency-Key").GetProperty("schema");
        var partner = await PartnerApi.CreateAsync(factory, 71_004);

        Assert.Equal(IdempotencyHeaders.KeyPattern, header.GetProperty("pattern").GetString());
        Assert.Equal(IdempotencyHeaders.KeyMaxLength, header.GetProperty("maxLength").GetInt32());
        Assert.Equal(valid, Regex.IsMatch(key, IdempotencyHeaders.KeyPattern[..^1] + @"\z"));
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders/stars")
        {
            Content = new StringContent("""{"recipient_username": "pandus", "quantity": 100}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(key)));
        var response = await partner.Client.SendAsync(request);
        if (valid)
        {
            await response.AssertOkAsync();
        }
        else
        {
            await response.AssertErrorAsync(422, "VALIDATION_ERROR");
        }
    }

    [Fact]
    public async Task Idempotency_keys_are_accepted_up_to_the_documented_length()
    {
        var partner = await PartnerApi.CreateAsync(factory, 71_005);

        await (await partner.CreateStarsAsync(idempotencyKey: new string('k', IdempotencyHeaders.KeyMaxLength))).AssertOkAsync();
        await (await partner.CreateStarsAsync(idempotencyKey: new string('k', IdempotencyHeaders.KeyMaxLength + 1))).AssertErrorAsync(422, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Client_references_follow_the_documented_length_and_characters()
    {
        var partner = await PartnerApi.CreateAsync(factory, 71_006);

        await (await partner.CreateStarsAsync(reference: new string('r', 128))).AssertOkAsync();
        await (await partner.CreateStarsAsync(reference: new string('r', 129))).AssertErrorAsync(422, "VALIDATION_ERROR");
        await (await partner.CreateStarsAsync(reference: "")).AssertErrorAsync(422, "VALIDATION_ERROR");
        await (await partner.CreateStarsAsync(reference: "line\nbreak")).AssertErrorAsync(422, "VALIDATION_ERROR");
        await (await partner.CreateStarsAsync(reference: "c1\u0085")).AssertErrorAsync(422, "VALIDATION_ERROR");
        await (await partner.CreateStarsAsync(reference: "invoice 42 · ok")).AssertOkAsync();
    }

    [Fact]
    public async Task Webhook_urls_over_the_documented_length_are_422()
    {
        var maxLength = (await DocumentAsync()).GetProperty("components").GetProperty("schemas").GetProperty("PutWebhookRequest")
            .GetProperty("properties").GetProperty("url").GetProperty("maxLength").GetInt32();
        var partner = await PartnerApi.CreateAsync(factory, 71_007);
        var url = "http://127.0.0.1:9/" + new string('a', maxLength + 1 - "http://127.0.0.1:9/".Length);

        var response = await partner.Client.PutAsync("/api/v1/webhook", new StringContent(JsonSerializer.Serialize(new { url }), Encoding.UTF8, "application/json"));

        var error = await response.AssertErrorAsync(422, "VALIDATION_ERROR");
        Assert.Contains("at most 2048", error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Hostile values for the inputs whose rules the document now states: each is a 4xx envelope, never a 5xx or a success.</summary>
    [Theory]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus\u0000", "quantity": 100}""")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "\u202epandus", "quantity": 100}""")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus🚀", "quantity": 100}""")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "\r\npandus", "quantity": 100}""")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": ["pandus"], "quantity": 100}""")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": 100, "client_reference": "\u0000"}""")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": 100, "client_reference": "\u009f"}""")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": 100, "client_reference": "\ud83d"}""")]
    [InlineData("/api/v1/orders/stars", """{"recipient_username": "pandus", "quantity": 9223372036854775808}""")]
    [InlineData("/api/v1/orders/premium", """{"recipient_username": "pandus", "months": 3.0}""")]
    [InlineData("/api/v1/orders/premium", """{"recipient_username": "pandus", "months": "3"}""")]
    [InlineData("/api/v1/orders/premium", """{"recipient_username": "pandus", "months": -3}""")]
    [InlineData("/api/v1/orders/premium", """{"recipient_username": "pandus", "months": null}""")]
    public async Task Hostile_values_for_documented_inputs_are_4xx_envelopes(string path, string body)
    {
        var partner = await PartnerApi.CreateAsync(factory, 71_010);

        var response = await partner.PostJsonAsync(path, body);

        var status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{status} for {body}");
        await response.AssertErrorAsync(status, status == 415 ? "UNSUPPORTED_MEDIA_TYPE" : "VALIDATION_ERROR");
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM orders WHERE partner_id = $1", partner.PartnerId));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("\u0000")]
    [InlineData("\u00e9")]
    public async Task Hostile_idempotency_keys_are_422_and_create_nothing(string escaped)
    {
        var partner = await PartnerApi.CreateAsync(factory, 71_011);
        var key = escaped == "x" ? new string('x', 10_000) : System.Text.RegularExpressions.Regex.Unescape(escaped);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders/stars")
        {
            Content = new StringContent("""{"recipient_username": "pandus", "quantity": 100}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        await (await partner.Client.SendAsync(request)).AssertErrorAsync(422, "VALIDATION_ERROR");
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM orders WHERE partner_id = $1", partner.PartnerId));
    }

    /// <summary>The property validators of every rule of <paramref name="type"/>'s validator (and of the validators it includes, by base type).</summary>
    private IEnumerable<(string Member, IPropertyValidator Validator)> ValidatorsOf(Type type)
    {
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            if (factory.Services.GetService(typeof(IValidator<>).MakeGenericType(current)) is not IValidator validator)
            {
                continue;
            }

            var descriptor = validator.CreateDescriptor();
            foreach (var member in descriptor.GetMembersWithValidators())
            {
                foreach (var (propertyValidator, _) in member)
                {
                    yield return (member.Key, propertyValidator);
                }
            }
        }
    }

    /// <summary>What the document must say for one validator; null for rules it cannot state (compared as JSON).</summary>
    private static Dictionary<string, object>? Expected(IPropertyValidator validator) => validator switch
    {
        IBetweenValidator between when validator.Name == "InclusiveBetweenValidator" => new() { ["minimum"] = between.From, ["maximum"] = between.To },
        IComparisonValidator { Comparison: Comparison.GreaterThanOrEqual, ValueToCompare: { } value } => new() { ["minimum"] = value },
        IComparisonValidator { Comparison: Comparison.LessThanOrEqual, ValueToCompare: { } value } => new() { ["maximum"] = value },
        ILengthValidator { Min: > 0, Max: >= 0 } length => new() { ["minLength"] = length.Min, ["maxLength"] = length.Max },
        ILengthValidator { Max: >= 0 } length => new() { ["maxLength"] = length.Max },
        INotEmptyValidator => new() { ["minLength"] = 1 },
        IAllowedValuesValidator allowed => new() { ["enum"] = allowed.AllowedValues },
        IPatternValidator pattern => new() { ["pattern"] = pattern.Pattern },
        _ => null,
    };

    /// <summary>A schema, or the one it references (a shared enum), with the limits in either.</summary>
    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            schema = oneOf.EnumerateArray().First(s => !s.TryGetProperty("type", out var t) || t.GetString() != "null");
        }

        return schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;
    }
}

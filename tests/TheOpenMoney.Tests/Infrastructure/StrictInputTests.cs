using System.Net.Http.Headers;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>Request parsing is strict and predictable: one media type, exact property names, no duplicates, any ISO 8601 offset for times.</summary>
public sealed class StrictInputTests(ApiFactory factory) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private PartnerApi _partner = null!;

    /// <summary>Each test (xunit makes a new instance per test) has a partner of its own with 100 TON.</summary>
    public async Task InitializeAsync()
    {
        _partner = await PartnerApi.CreateAsync(factory);
        await _partner.CreditAsync(100m, "strict-input");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string contentType, Action<HttpContentHeaders>? headers = null)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        headers?.Invoke(content.Headers);
        return await _partner.Client.PostAsync(path, content);
    }

    [Fact]
    public async Task Duplicate_properties_are_422_and_never_let_the_last_one_win()
    {
        var before = await Db.OrderCountAsync(factory, _partner.PartnerId);

        var response = await PostAsync(
            "/api/v1/orders/stars",
            "{\"recipient_username\":\"pandus\",\"quantity\":100,\"payment_method\":\"ton_memo\",\"payment_method\":\"balance\"}",
            "application/json");

        var error = await response.AssertErrorAsync(422, ErrorCodes.ValidationError);
        Assert.Contains("duplicate field 'payment_method'", error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await Db.OrderCountAsync(factory, _partner.PartnerId));
        Assert.Equal(100m, await _partner.BalanceTonAsync());
    }

    [Theory]
    [InlineData("{\"Recipient_Username\":\"pandus\",\"quantity\":100}", "Recipient_Username")]
    [InlineData("{\"recipient_username\":\"pandus\",\"QUANTITY\":100}", "QUANTITY")]
    [InlineData("{\"recipientUsername\":\"pandus\",\"quantity\":100}", "recipientUsername")]
    public async Task Property_names_are_case_sensitive_snake_case(string body, string field)
    {
        var before = await Db.OrderCountAsync(factory, _partner.PartnerId);

        var error = await (await PostAsync("/api/v1/orders/stars", body, "application/json")).AssertErrorAsync(422, ErrorCodes.ValidationError);

        Assert.Contains($"unknown field '{field}'", error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await Db.OrderCountAsync(factory, _partner.PartnerId));
    }

    [Theory]
    [InlineData("application/json-patch+json")]
    [InlineData("application/problem+json")]
    [InlineData("application/merge-patch+json")]
    [InlineData("text/json")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=latin1")]
    [InlineData("application/json; charset=utf-8; boundary=x")]
    [InlineData("application/jsonx")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("")]
    [InlineData("garbage;;;")]
    public async Task Only_application_json_in_utf8_is_read(string contentType)
    {
        var before = await Db.OrderCountAsync(factory, _partner.PartnerId);

        var response = await PostAsync("/api/v1/orders/stars", "{\"recipient_username\":\"pandus\",\"quantity\":100}", contentType);

        await response.AssertErrorAsync(415, ErrorCodes.UnsupportedMediaType);
        Assert.Equal(before, await Db.OrderCountAsync(factory, _partner.PartnerId));
    }

    [Fact]
    public async Task A_utf16_body_with_an_odd_length_is_415_not_500()
    {
        using var content = new ByteArrayContent([0x7B, 0x00, 0x22]);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-16");

        await (await _partner.Client.PostAsync("/api/v1/orders/stars", content)).AssertErrorAsync(415, ErrorCodes.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    [InlineData("identity, gzip")]
    public async Task A_content_encoding_other_than_identity_is_415(string encoding)
    {
        var response = await PostAsync(
            "/api/v1/orders/stars", "{\"recipient_username\":\"pandus\",\"quantity\":100}", "application/json", h => h.TryAddWithoutValidation("Content-Encoding", encoding));

        await response.AssertErrorAsync(415, ErrorCodes.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; Charset=\"UTF-8\"")]
    public async Task Application_json_with_an_optional_utf8_charset_is_read(string contentType)
    {
        var response = await PostAsync("/api/v1/orders/stars", "{\"recipient_username\":\"pandus\",\"quantity\":100}", contentType, h => h.TryAddWithoutValidation("Content-Encoding", "identity"));

        await response.AssertOkAsync();
    }

    [Theory]
    [InlineData("created_from", "2026-01-01T00:00:00+01:00")]
    [InlineData("created_from", "2026-01-01T00:00:00-05:30")]
    [InlineData("created_to", "2999-01-01T00:00:00+14:00")]
    [InlineData("created_from", "2026-01-01")]
    [InlineData("created_from", "2026-01-01T00:00:00.1234567Z")]
    [InlineData("created_to", "0001-01-01T00:00:00Z")]
    public async Task Time_filters_accept_any_iso_8601_offset(string parameter, string value)
    {
        var response = await _partner.Client.GetAsync($"/api/v1/orders?{parameter}={Uri.EscapeDataString(value)}");

        await response.AssertOkAsync();
    }

    [Fact]
    public async Task Time_filters_convert_offsets_to_utc()
    {
        var order = await _partner.CreatedStarsOrderAsync();
        var created = DateTimeOffset.Parse(order.GetProperty("created_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        // The same instant written at +03:00: an order created exactly then is included from it, excluded before it.
        var at = created.ToOffset(TimeSpan.FromHours(3)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", System.Globalization.CultureInfo.InvariantCulture);

        var from = await (await _partner.Client.GetAsync($"/api/v1/orders?created_from={Uri.EscapeDataString(at)}")).AssertOkAsync();
        var to = await (await _partner.Client.GetAsync($"/api/v1/orders?created_to={Uri.EscapeDataString(at)}")).AssertOkAsync();
        var stats = await (await _partner.Client.GetAsync($"/api/v1/orders/stats/summary?from={Uri.EscapeDataString(at)}")).AssertOkAsync();

        Assert.Contains(from.GetProperty("items").EnumerateArray(), o => o.GetProperty("id").GetInt64() == order.GetProperty("id").GetInt64());
        Assert.DoesNotContain(to.GetProperty("items").EnumerateArray(), o => o.GetProperty("id").GetInt64() == order.GetProperty("id").GetInt64());
        Assert.True(stats.GetProperty("total_orders").GetInt64() >= 1);
        Assert.EndsWith("Z", stats.GetProperty("from").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/orders?created_from=yesterday", "created_from")]
    [InlineData("/api/v1/orders?created_to=2026-13-01", "created_to")]
    [InlineData("/api/v1/orders?created_from=1%2F2%2F2026", "created_from")]
    [InlineData("/api/v1/orders?created_from=2026-01-01T00:00:00%2B99:00", "created_from")]
    [InlineData("/api/v1/orders?created_from=0001-01-01T00:00:00%2B01:00", "created_from")]
    [InlineData("/api/v1/orders?created_from=2026-01-01&created_from=2026-01-02", "created_from")]
    [InlineData("/api/v1/orders/stats/summary?from=%00", "from")]
    [InlineData("/api/v1/orders/stats/summary?to=9999999999", "to")]
    public async Task A_time_filter_that_is_not_a_time_is_422_naming_the_parameter(string path, string parameter)
    {
        var error = await (await _partner.Client.GetAsync(path)).AssertErrorAsync(422, ErrorCodes.ValidationError);

        var message = error.GetProperty("error_message").GetString()!;
        Assert.StartsWith(parameter + " must be", message, StringComparison.Ordinal);
        Assert.DoesNotContain("is not valid for", message, StringComparison.Ordinal);
    }
}

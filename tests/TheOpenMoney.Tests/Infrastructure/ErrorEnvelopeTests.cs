using System.Net.Http.Headers;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>Every failure under /api/v1, the framework's own included, answers with the one envelope.</summary>
public sealed class ErrorEnvelopeTests(ApiFactory factory) : IClassFixture<ApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = factory.CreateClient((await factory.IssueKeyAsync(TestPartners.NextTelegramUserId())).Plaintext);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Unknown_route_is_404_not_found() =>
        await (await _client.GetAsync("/api/v1/no-such-thing")).AssertErrorAsync(404, ErrorCodes.NotFound);

    [Fact]
    public async Task Unknown_route_without_a_key_is_still_404() =>
        await (await factory.CreateClient().GetAsync("/api/v1/no-such-thing")).AssertErrorAsync(404, ErrorCodes.NotFound);

    [Fact]
    public async Task Wrong_method_is_405_method_not_allowed()
    {
        var response = await _client.DeleteAsync("/api/v1/partner");

        await response.AssertErrorAsync(405, ErrorCodes.MethodNotAllowed);
        Assert.Contains("GET", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Wrong_content_type_is_415_unsupported_media_type()
    {
        using var content = new StringContent("name=x&count=1", Encoding.UTF8, "application/x-www-form-urlencoded");

        await (await _client.PostAsync("/api/v1/_test/echo", content)).AssertErrorAsync(415, ErrorCodes.UnsupportedMediaType);
    }

    [Fact]
    public async Task Text_plain_body_is_415_unsupported_media_type()
    {
        using var content = new StringContent("{\"name\":\"x\",\"count\":1}", Encoding.UTF8, "text/plain");

        await (await _client.PostAsync("/api/v1/_test/echo", content)).AssertErrorAsync(415, ErrorCodes.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("{\"name\": \"x\", \"count\": ", "JSON")]
    [InlineData("{\"name\": \"x\" \"count\": 1}", "")]
    [InlineData("[1, 2, 3]", "")]
    [InlineData("{\"name\": \"x\", \"count\": \"many\"}", "count")]
    [InlineData("{\"name\": \"x\", \"count\": 1.5}", "count")]
    [InlineData("{\"name\": \"x\", \"count\": 1, \"extra\": true}", "unknown field 'extra'")]
    [InlineData("", "request body is required")]
    public async Task Malformed_json_is_422_validation_error(string body, string messageContains)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var error = await (await _client.PostAsync("/api/v1/_test/echo", content)).AssertErrorAsync(422, ErrorCodes.ValidationError);

        var message = error.GetProperty("error_message").GetString()!;
        Assert.Contains(messageContains, message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Well_formed_json_passes_through_with_snake_case_envelope()
    {
        using var content = new StringContent("{\"name\": \"x\", \"count\": 3}", Encoding.UTF8, "application/json");

        var data = await (await _client.PostAsync("/api/v1/_test/echo", content)).AssertOkAsync();

        Assert.Equal("x", data.GetProperty("name").GetString());
        Assert.Equal(3, data.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Unhandled_exception_is_500_with_trace_id_and_no_exception_text()
    {
        var response = await _client.GetAsync("/api/v1/_test/boom");

        var error = await response.AssertErrorAsync(500, ErrorCodes.InternalError);
        var raw = error.GetRawText();
        Assert.DoesNotContain("hunter2", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", raw, StringComparison.Ordinal);
        var traceId = error.GetProperty("trace_id").GetString();
        Assert.False(string.IsNullOrEmpty(traceId));
        Assert.Contains(factory.Logs.Lines, line => line.Contains(traceId!, StringComparison.Ordinal) && line.Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Error_envelope_has_exactly_the_contract_fields()
    {
        var error = await (await factory.CreateClient().GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);

        Assert.Equal(["ok", "error_code", "error_message", "data"], error.EnumerateObject().Select(p => p.Name).ToArray());
    }
}

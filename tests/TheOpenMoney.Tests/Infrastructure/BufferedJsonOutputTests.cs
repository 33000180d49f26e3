using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Formatters;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Infrastructure.Json;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>JSON answers are written from one buffer with their length (not chunked), with MVC's own options.</summary>
public sealed class BufferedJsonOutputTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public void Mvc_writes_json_through_the_buffered_formatter_only()
    {
        var formatters = factory.Services.GetRequiredService<IOptions<MvcOptions>>().Value.OutputFormatters;

        Assert.Single(formatters.OfType<BufferedJsonOutputFormatter>());
        Assert.Empty(formatters.OfType<SystemTextJsonOutputFormatter>());
    }

    [Fact]
    public async Task An_answer_is_written_whole_with_its_length_and_the_api_json_shape()
    {
        var formatter = factory.Services.GetRequiredService<IOptions<MvcOptions>>().Value.OutputFormatters.OfType<BufferedJsonOutputFormatter>().Single();
        var value = ApiResponse.Of(new { OrderType = "stars", CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), Note = "é<>" });
        var http = new DefaultHttpContext();
        using var body = new MemoryStream();
        http.Response.Body = body;
        var context = new OutputFormatterWriteContext(http, (stream, encoding) => new StreamWriter(stream, encoding), value.GetType(), value);

        await formatter.WriteResponseBodyAsync(context, Encoding.UTF8);

        var written = body.ToArray();
        Assert.Equal(written.Length, http.Response.ContentLength);
        var json = JsonDocument.Parse(written).RootElement;
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal("stars", json.GetProperty("data").GetProperty("order_type").GetString());
        Assert.Equal("2026-01-02T01:04:05Z", json.GetProperty("data").GetProperty("created_at").GetString());
        Assert.Equal("é<>", json.GetProperty("data").GetProperty("note").GetString());
    }
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using TheOpenMoney.Api.Fulfillment;
using TheOpenMoney.Api.Pricing;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// The resilience handler (Microsoft.Extensions.Http.Resilience) on a real HttpClient against a real
/// server on 127.0.0.1: a POST that failed is sent again with its whole body, and Retry-After is honoured.
/// </summary>
public sealed class HttpResilienceTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Body, string? Key, DateTimeOffset At)> _received = new();
    private FakeHttpServer _supplier = null!;
    private Factory _factory = null!;

    private sealed class Factory(string supplierUrl) : ApiFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings["Supplier:Mode"] = "Http";
            settings["Supplier:BaseUrl"] = supplierUrl;
            settings["Supplier:Http:MaxRetries"] = "2";
            settings["Supplier:Http:RetryBaseDelay"] = "00:00:00.020";
        }
    }

    public async Task InitializeAsync()
    {
        _supplier = await FakeHttpServer.StartAsync();
        _factory = new Factory(_supplier.Url);
        await _factory.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _supplier.DisposeAsync();
    }

    /// <summary>Records every delivery request; answers the first ones with <paramref name="failures"/>, then 200.</summary>
    private void Answer(params (int Status, string? RetryAfter)[] failures)
    {
        var answered = 0;
        _supplier.Handler = async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            _received.Enqueue((await reader.ReadToEndAsync(), context.Request.Headers["Idempotency-Key"], DateTimeOffset.UtcNow));
            var attempt = Interlocked.Increment(ref answered) - 1;
            if (attempt < failures.Length)
            {
                context.Response.StatusCode = failures[attempt].Status;
                if (failures[attempt].RetryAfter is { } after)
                {
                    context.Response.Headers.RetryAfter = after;
                }

                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"reference\":\"SUP-1\"}");
        };
    }

    private Task<DeliveryResult> DeliverAsync() =>
        _factory.Services.GetRequiredService<ISupplier>().DeliverAsync(
            new DeliveryRequest(4242, "order-4242", OrderType.Stars, "pandus", 100, null), CancellationToken.None);

    [Fact]
    public async Task A_retried_post_sends_its_whole_body_again()
    {
        Answer((503, null), (502, null));

        var result = await DeliverAsync();

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        var requests = _received.ToList();
        Assert.Equal(3, requests.Count);
        Assert.Contains("\"order_id\":4242", requests[0].Body, StringComparison.Ordinal);
        Assert.Contains("\"username\":\"pandus\"", requests[0].Body, StringComparison.Ordinal);
        Assert.All(requests, r => Assert.Equal(requests[0].Body, r.Body));
        Assert.All(requests, r => Assert.Equal("order-4242", r.Key));
    }

    [Fact]
    public async Task Retry_after_from_the_server_is_waited_out()
    {
        Answer((429, "1"));

        var result = await DeliverAsync();

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        var requests = _received.ToList();
        Assert.Equal(2, requests.Count);
        // Asked to wait a second: the retry came after at least that (not after the 20 ms base delay).
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(0.9), $"retried after {requests[1].At - requests[0].At}");
    }
}

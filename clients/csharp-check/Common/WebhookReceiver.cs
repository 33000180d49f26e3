using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TheOpenMoney.ClientCheck;

/// <summary>
/// A partner's webhook endpoints on 127.0.0.1 (Kestrel): <c>/theopenmoney/{endpoint}</c> (<see cref="Url"/> is the
/// live day's, <c>events</c>; <see cref="UrlOf"/> names another, such as the test-mode day's), keeps every POST with
/// its endpoint, headers and raw body, answers 204, and verifies <c>TOM-Signature</c> as the README says
/// (HMAC-SHA256 of <c>"&lt;t&gt;." + raw body</c> with the whole <c>whsec_…</c> secret; any <c>v1=</c> may match;
/// <c>t</c> within 5 minutes).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<Delivery> deliveries = new();

    private WebhookReceiver(WebApplication app) => this.app = app;

    /// <summary>The endpoint the live day registers.</summary>
    public const string DefaultEndpoint = "events";

    /// <summary>The endpoint the test-mode day registers (its deliveries are signed with the test endpoint's secret).</summary>
    public const string TestEndpoint = "test-events";

    private string baseUrl = "";

    public string Url => UrlOf(DefaultEndpoint);

    /// <summary>The deliveries to <see cref="Url"/>.</summary>
    public IReadOnlyCollection<Delivery> Deliveries => DeliveriesTo(DefaultEndpoint);

    public string UrlOf(string endpoint) => $"{baseUrl}/{endpoint}";

    public IReadOnlyCollection<Delivery> DeliveriesTo(string endpoint) => [.. deliveries.Where(d => d.Endpoint == endpoint)];

    public static async Task<WebhookReceiver> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app) { baseUrl = $"http://127.0.0.1:{port}/theopenmoney" };
        app.MapPost("/theopenmoney/{endpoint}", async (HttpContext context, string endpoint) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            receiver.deliveries.Enqueue(new Delivery(
                endpoint,
                context.Request.Headers["TOM-Event-Id"].ToString(),
                context.Request.Headers["TOM-Event-Type"].ToString(),
                context.Request.Headers["TOM-Signature"].ToString(),
                body.ToArray()));
            return Results.NoContent();
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) for a delivery of an event of <paramref name="type"/> to <see cref="Url"/>.</summary>
    public Task<Delivery> WaitForAsync(string type, TimeSpan timeout) =>
        WaitForAsync(DefaultEndpoint, d => d.EventType == type, $"{type} event", timeout);

    /// <summary>Waits (at most <paramref name="timeout"/>) for a delivery to <paramref name="endpoint"/> that <paramref name="matches"/>.</summary>
    public async Task<Delivery> WaitForAsync(string endpoint, Func<Delivery, bool> matches, string what, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            if (deliveries.FirstOrDefault(d => d.Endpoint == endpoint && matches(d)) is { } delivery)
            {
                return delivery;
            }

            PartnerDay.Check(DateTimeOffset.UtcNow < deadline, $"no {what} reached the webhook receiver's {endpoint} within {timeout.TotalSeconds} s");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>One POST the service made, to one of the receiver's endpoints.</summary>
    public sealed record Delivery(string Endpoint, string EventId, string EventType, string Signature, byte[] Body)
    {
        /// <summary>The body's <c>id</c> and <c>type</c>, read without any generated type (the raw bytes are what was signed).</summary>
        public (long Id, string Type) IdAndType()
        {
            using var json = JsonDocument.Parse(Body);
            return (json.RootElement.GetProperty("id").GetInt64(), json.RootElement.GetProperty("type").GetString() ?? "");
        }

        /// <summary>Whether <see cref="Signature"/> verifies with <paramref name="secret"/> (README, "Verifying the signature").</summary>
        public bool IsSignedWith(string secret, long toleranceSeconds = 300)
        {
            var parts = Signature.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToList();
            var timestamps = parts.Where(p => p[0].Trim() == "t").Select(p => p[1].Trim()).ToList();
            var signatures = parts.Where(p => p[0].Trim() == "v1").Select(p => p[1].Trim()).ToList();
            if (timestamps is not [{ Length: > 0 and <= 12 } t] || !t.All(char.IsAsciiDigit) || signatures.Count == 0
                || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(t, CultureInfo.InvariantCulture)) > toleranceSeconds)
            {
                return false;
            }

            byte[] signed = [.. Encoding.ASCII.GetBytes(t + "."), .. Body];
            var expected = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)));
            return signatures.Any(s => CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(s)));
        }
    }
}

using TheOpenMoney.Api.Infrastructure.RateLimiting;
using System.Net;
using System.Text.Json.Serialization;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.TonRamp;

/// <summary>
/// The two per-endpoint limiters, shared by every caller in this process. The window is a minute
/// plus a second of margin: a request exactly 60 s old still counts on TonRamp's side, and the
/// two clocks and the network do not agree to the millisecond.
/// </summary>
public sealed class TonRampLimiters(ILimitStore store, IOptions<TonRampOptions> options, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(61);

    public SlidingLogLimiter Generate { get; } = new(store, "generate", options.Value.GeneratePerMinute, Window, time);

    public SlidingLogLimiter Status { get; } = new(store, "status", options.Value.StatusPerMinute, Window, time);
}

/// <summary>No permit for a request to TonRamp now; one frees up after <see cref="RetryAfter"/>.</summary>
public sealed class TonRampRateLimitedException(TimeSpan retryAfter) : Exception("TonRamp's rate limit is reached")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// TonRamp counts every request that reaches it, retries included, so the permit is taken per attempt: this
/// handler sits inside the retry pipeline and takes one for each request it lets through (generate: the POST;
/// status: the GET), or refuses it with <see cref="TonRampRateLimitedException"/>, which is never retried.
/// </summary>
internal sealed class TonRampRateHandler(TonRampLimiters limiters) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limiter = request.Method == HttpMethod.Post ? limiters.Generate : limiters.Status;
        var (granted, retryAfter) = await limiter.TryAcquireAsync(cancellationToken);
        return granted ? await base.SendAsync(request, cancellationToken) : throw new TonRampRateLimitedException(retryAfter);
    }
}

/// <summary>
/// TonRamp's REST API (seed 004): <c>POST /api/v1/wallet/trp/generate</c> and
/// <c>GET /api/v1/trp/status/{tx_id}</c>, behind our own exact limiters (30/min and 60/min) and Polly.
/// Any failure to get links is 503 <c>PAYMENT_PROVIDER_UNAVAILABLE</c>.
/// </summary>
public sealed class TonRampClient(HttpClient http, IOptions<TonRampOptions> options, TimeProvider time)
{
    public async Task<TonRampPaymentLinks> GenerateAsync(string wallet, long priceNanoton, string txId, CancellationToken cancellationToken)
    {
        var body = new GenerateBody(
            wallet,
            options.Value.MerchantId!,
            TonAmount.FromNano(priceNanoton).ToString(CultureInfo.InvariantCulture),
            "TON",
            txId);
        try
        {
            using var response = await http.PostAsJsonAsync("api/v1/wallet/trp/generate", body, cancellationToken);
            var answer = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<GenerateAnswer>(cancellationToken) : null;
            if (answer is { Success: true, Payload: { } payload, DeepLink: { } deepLink, TelegramLink: { } telegramLink })
            {
                return new TonRampPaymentLinks(payload, deepLink, telegramLink);
            }

            throw Unavailable($"TonRamp answered {(int)response.StatusCode}", 30);
        }
        catch (TonRampRateLimitedException limited)
        {
            throw Unavailable("TonRamp's rate limit for new payment links is reached", (int)Math.Ceiling(limited.RetryAfter.TotalSeconds));
        }
        catch (Exception ex) when (HttpFailures.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw Unavailable("TonRamp is unreachable", 30);
        }
    }

    /// <summary>TonRamp's status of a payment (<c>pending</c>, <c>paid</c>, <c>completed</c>, <c>expired</c>), or null when it does not know it. Waits for a permit.</summary>
    public async Task<string?> StatusAsync(string txId, CancellationToken cancellationToken)
    {
        using var response = await GetWhenPermittedAsync($"api/v1/trp/status/{Uri.EscapeDataString(txId)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<StatusAnswer>(cancellationToken))?.Status;
    }

    /// <summary>A GET for background work, which queues: without a permit it waits for the window to free one, then asks.</summary>
    private async Task<HttpResponseMessage> GetWhenPermittedAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await http.GetAsync(path, cancellationToken);
            }
            catch (TonRampRateLimitedException limited)
            {
                await Task.Delay(limited.RetryAfter + TimeSpan.FromMilliseconds(5), time, cancellationToken);
            }
        }
    }

    internal static void Configure(HttpClient client, TonRampOptions options)
    {
        client.BaseAddress = new Uri(options.BaseUrl!.TrimEnd('/') + "/");
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            client.DefaultRequestHeaders.Add("X-API-Key", options.ApiKey);
        }
    }

    internal static ApiException Unavailable(string message, int retryAfterSeconds) =>
        new(StatusCodes.Status503ServiceUnavailable, ErrorCodes.PaymentProviderUnavailable, message + "; no order was created")
        {
            RetryAfterSeconds = Math.Max(1, retryAfterSeconds),
        };

    private sealed record GenerateBody(
        [property: JsonPropertyName("wallet")] string Wallet,
        [property: JsonPropertyName("merchant")] string Merchant,
        [property: JsonPropertyName("amount")] string Amount,
        [property: JsonPropertyName("currency")] string Currency,
        [property: JsonPropertyName("tx_id")] string TxId);

    private sealed record GenerateAnswer(
        [property: JsonPropertyName("success")] bool Success,
        [property: JsonPropertyName("payload")] string? Payload,
        [property: JsonPropertyName("deep_link")] string? DeepLink,
        [property: JsonPropertyName("telegram_link")] string? TelegramLink);

    private sealed record StatusAnswer([property: JsonPropertyName("status")] string? Status);
}

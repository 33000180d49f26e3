namespace TheOpenMoney.Api.Pricing;

/// <summary>A TON/USD rate, where it came from and when.</summary>
public sealed record TonRate(decimal TonUsd, string Source, DateTimeOffset UpdatedAt);

/// <summary>Where the TON/USD rate comes from. Throws 503 <c>RATE_UNAVAILABLE</c> when there is no usable rate.</summary>
public interface ITonUsdRateSource
{
    Task<TonRate> GetRateAsync(CancellationToken cancellationToken);
}

/// <summary><c>Pricing:TonUsdRate</c>, as configured.</summary>
public sealed class FixedTonUsdRateSource(IOptions<PricingOptions> options, TimeProvider time) : ITonUsdRateSource
{
    private readonly DateTimeOffset _since = time.GetUtcNow();

    public Task<TonRate> GetRateAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new TonRate(options.Value.TonUsdRate!.Value, "fixed", _since));
}

/// <summary>
/// The rate from an HTTP JSON endpoint: cached for <see cref="RateSourceOptions.CacheFor"/>, one
/// refresh at a time; when the source fails the last rate is served until it is
/// <see cref="RateSourceOptions.MaxStale"/> old, then 503 <c>RATE_UNAVAILABLE</c>.
/// </summary>
public sealed partial class HttpTonUsdRateSource(
    IHttpClientFactory httpClients,
    IOptions<PricingOptions> options,
    TimeProvider time,
    ILogger<HttpTonUsdRateSource> logger) : ITonUsdRateSource, IDisposable
{
    public const string HttpClientName = "ton-usd-rate";

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile TonRate? _last;

    public async Task<TonRate> GetRateAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value.RateSource;
        if (Fresh(_last, settings.CacheFor) is { } cached)
        {
            return cached;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(_last, settings.CacheFor) is { } refreshedMeanwhile)
            {
                return refreshedMeanwhile;
            }

            try
            {
                var rate = await FetchAsync(settings, cancellationToken);
                _last = rate;
                return rate;
            }
            catch (Exception ex) when (HttpFailures.IsTransient(ex) || ex is FormatException or InvalidDataException)
            {
                LogFetchFailed(logger, ex.GetType().Name);
                if (Fresh(_last, settings.MaxStale) is { } stale)
                {
                    return stale;
                }

                throw new ApiException(
                    StatusCodes.Status503ServiceUnavailable,
                    ErrorCodes.RateUnavailable,
                    "the TON/USD rate is unavailable right now; retry shortly")
                {
                    RetryAfterSeconds = 30,
                };
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    private TonRate? Fresh(TonRate? rate, TimeSpan maxAge) =>
        rate is not null && time.GetUtcNow() - rate.UpdatedAt < maxAge ? rate : null;

    private async Task<TonRate> FetchAsync(RateSourceOptions settings, CancellationToken cancellationToken)
    {
        using var http = httpClients.CreateClient(HttpClientName);
        using var response = await http.GetAsync(settings.Url, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"rate source answered {(int)response.StatusCode}", null, response.StatusCode);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        var node = document.RootElement;
        foreach (var segment in settings.JsonPath.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(segment, out node))
            {
                throw new InvalidDataException($"rate source answer has no '{settings.JsonPath}'");
            }
        }

        var value = node.ValueKind switch
        {
            JsonValueKind.Number => node.GetDecimal(),
            JsonValueKind.String => decimal.Parse(node.GetString()!, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture),
            _ => throw new InvalidDataException("rate is not a number"),
        };
        if (value <= 0 || value > 1_000_000)
        {
            throw new InvalidDataException("rate out of range");
        }

        return new TonRate(value, new Uri(settings.Url!).Host, time.GetUtcNow());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "TON/USD rate source failed ({Error}); serving the last rate while it is fresh enough")]
    private static partial void LogFetchFailed(ILogger logger, string error);
}

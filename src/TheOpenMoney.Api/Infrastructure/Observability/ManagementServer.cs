using OpenTelemetry.Metrics;

namespace TheOpenMoney.Api.Infrastructure.Observability;

/// <summary>
/// A second, small HTTP server in the same process for operators: <c>GET /metrics</c> (Prometheus text
/// from the app's own meter provider) on <c>Management:Urls</c> (default <c>http://127.0.0.1:9464</c>),
/// never on the partner port, so metrics are not exposed where partners connect.
/// </summary>
public sealed partial class ManagementServer(IServiceProvider services, IOptions<ManagementOptions> options, ILogger<ManagementServer> logger)
    : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The addresses bound (a port 0 in the settings becomes the real one); empty when off.</summary>
    public IReadOnlyList<string> Urls => _app?.Urls.ToList() ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var urls = options.Value.Urls;
        if (string.IsNullOrWhiteSpace(urls))
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(services.GetRequiredService<MeterProvider>(), null, "/metrics", null, null);
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            // Partners come first: the API serves on without its metrics port rather than not at all.
            LogUnavailable(logger, urls, ex);
            await app.DisposeAsync();
            return;
        }

        _app = app;
        var bound = string.Join(", ", app.Urls);
        LogListening(logger, bound);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The management port ({Urls}) could not be opened: no /metrics until the API restarts (Management:Urls)")]
    private static partial void LogUnavailable(ILogger logger, string urls, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics for operators at {Urls}/metrics")]
    private static partial void LogListening(ILogger logger, string urls);
}

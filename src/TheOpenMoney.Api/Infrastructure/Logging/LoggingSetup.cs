using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;
using TheOpenMoney.Api.Infrastructure.Auth;

namespace TheOpenMoney.Api.Infrastructure.Logging;

/// <summary>
/// Serilog (Serilog.AspNetCore) as the one logging pipeline: readable console lines locally, one
/// compact JSON object per line when <c>Logging:Json=true</c> (<see cref="CompactJsonFormatter"/>).
/// Levels come from <c>Logging:LogLevel</c> (and <c>Logging:ConsoleMinimumLevel</c> quietens the
/// console alone); categories that would print URLs or headers (HttpClient, hosting diagnostics,
/// SQL) are held at Warning, so a bot token in a URL or a key in a header never reaches the log.
/// Sinks registered in DI (<see cref="ILogEventSink"/>, e.g. the tests' capture) receive every event.
/// </summary>
public static class LoggingSetup
{
    private static readonly string[] QuietCategories =
    [
        "System.Net.Http.HttpClient",
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.HttpLogging",
        "Microsoft.EntityFrameworkCore.Database.Command",
    ];

    /// <summary>The readable line: time, level, category, message, then the exception's lines (indented).</summary>
    public const string TextTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <param name="builder">The application builder whose logging is replaced.</param>
    /// <param name="everythingToStdErr">The CLI keeps stdout for its one line of output.</param>
    public static WebApplicationBuilder AddAppLogging(this WebApplicationBuilder builder, bool everythingToStdErr)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        builder.Logging.ClearProviders();
        // One logger per host, never the static Log.Logger: several hosts in one process (tests) must not
        // write to each other's sinks.
        builder.Services.AddSerilog(
            (services, logger) =>
        {
            logger.Enrich.FromLogContext();
            ApplyLevels(logger, configuration.GetSection("Logging:LogLevel"));
            var stdErrFrom = everythingToStdErr ? LogEventLevel.Verbose : (LogEventLevel?)null;
            var consoleLevel = ToSerilog(configuration["Logging:ConsoleMinimumLevel"], LogEventLevel.Verbose);
            if (configuration.GetValue<bool>("Logging:Json"))
            {
                logger.WriteTo.Console(new CompactJsonFormatter(), consoleLevel, standardErrorFromLevel: stdErrFrom);
            }
            else
            {
                // Every value escaped (EscapingTextFormatter): a partner's or an attacker's bytes never start a line.
                logger.WriteTo.Console(
                    new EscapingTextFormatter(TextTemplate, CultureInfo.InvariantCulture),
                    restrictedToMinimumLevel: consoleLevel,
                    standardErrorFromLevel: stdErrFrom);
            }

            foreach (var sink in services.GetServices<ILogEventSink>())
            {
                logger.WriteTo.Sink(sink);
            }
        },
            preserveStaticLogger: true);
        return builder;
    }

    /// <summary>
    /// One line per request (Serilog.AspNetCore): method, path (never the query string), status,
    /// elapsed ms, partner id and trace id; Warning for 5xx and unhandled exceptions. Headers are never
    /// logged, so neither is the Authorization header.
    /// </summary>
    public static WebApplication UseAppRequestLogging(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<Serilog.ILogger>();
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = logger;
            options.MessageTemplate = "HTTP {RequestMethod:l} {RequestPath:l} responded {StatusCode} in {Elapsed:0.0} ms (partner {PartnerId})";
            options.GetLevel = (context, _, exception) =>
                exception is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Warning : LogEventLevel.Information;
            options.EnrichDiagnosticContext = (diagnostics, context) =>
            {
                diagnostics.Set("PartnerId", context.User.TryGetPartnerId());
                diagnostics.Set("TraceId", context.TraceIdentifier);
            };
        });
        return app;
    }

    /// <summary>
    /// <c>Logging:LogLevel</c> as Serilog levels (Serilog is the only provider, so MEL's own filters
    /// do not apply); the quiet categories never go below Warning.
    /// </summary>
    private static void ApplyLevels(LoggerConfiguration logger, IConfigurationSection levels)
    {
        logger.MinimumLevel.Is(ToSerilog(levels["Default"], LogEventLevel.Information));
        var overrides = new Dictionary<string, LogEventLevel>(StringComparer.Ordinal);
        foreach (var child in levels.GetChildren())
        {
            if (child.Key != "Default")
            {
                overrides[child.Key] = ToSerilog(child.Value, LogEventLevel.Information);
            }
        }

        foreach (var category in QuietCategories)
        {
            overrides[category] = overrides.TryGetValue(category, out var configured) && configured > LogEventLevel.Warning
                ? configured
                : LogEventLevel.Warning;
        }

        foreach (var (category, level) in overrides)
        {
            var quiet = QuietCategories.Any(q => category.StartsWith(q, StringComparison.Ordinal));
            logger.MinimumLevel.Override(category, quiet && level < LogEventLevel.Warning ? LogEventLevel.Warning : level);
        }
    }

    private static LogEventLevel ToSerilog(string? level, LogEventLevel fallback) =>
        Enum.TryParse<LogLevel>(level, ignoreCase: true, out var parsed)
            ? parsed switch
            {
                LogLevel.Trace => LogEventLevel.Verbose,
                LogLevel.Debug => LogEventLevel.Debug,
                LogLevel.Information => LogEventLevel.Information,
                LogLevel.Warning => LogEventLevel.Warning,
                LogLevel.Error => LogEventLevel.Error,
                _ => LogEventLevel.Fatal,
            }
            : fallback;
}

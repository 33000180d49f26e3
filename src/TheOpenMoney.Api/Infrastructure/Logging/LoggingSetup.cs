using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace TheOpenMoney.Api.Infrastructure.Logging;

/// <summary>
/// Serilog behind Microsoft.Extensions.Logging: readable console lines locally, one JSON object
/// per line when <c>Logging:Json=true</c>. Levels come from <c>Logging:LogLevel</c> (and
/// <c>Logging:ConsoleMinimumLevel</c> can quieten the console alone); categories that
/// would print URLs or headers (HttpClient, hosting diagnostics) are held at Warning so a bot
/// token in a URL or a key in a header never reaches the log.
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

    /// <param name="builder">The logging builder to replace the providers of.</param>
    /// <param name="configuration">Application configuration.</param>
    /// <param name="everythingToStdErr">The CLI keeps stdout for its one line of output.</param>
    public static ILoggingBuilder AddAppLogging(this ILoggingBuilder builder, IConfiguration configuration, bool everythingToStdErr)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var json = configuration.GetValue<bool>("Logging:Json");
        var stdErrFrom = everythingToStdErr ? LogEventLevel.Verbose : (LogEventLevel?)null;
        var logger = new LoggerConfiguration().Enrich.FromLogContext();
        ApplyLevels(logger, configuration.GetSection("Logging:LogLevel"));
        var consoleLevel = ToSerilog(configuration["Logging:ConsoleMinimumLevel"], LogEventLevel.Verbose);
        logger = json
            ? logger.WriteTo.Console(new JsonFormatter(renderMessage: true), consoleLevel, standardErrorFromLevel: stdErrFrom)
            : logger.WriteTo.Console(
                restrictedToMinimumLevel: consoleLevel,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: stdErrFrom,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);

        builder.ClearProviders();
        builder.AddSerilog(logger.CreateLogger(), dispose: true);
        return builder;
    }

    /// <summary>
    /// Serilog's provider registers its own catch-all filter, which hides <c>Logging:LogLevel</c>
    /// from Microsoft.Extensions.Logging; so those levels are applied as Serilog levels instead.
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

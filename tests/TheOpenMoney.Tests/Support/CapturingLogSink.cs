using System.Collections.Concurrent;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// A Serilog sink (registered in DI, picked up by the app's logging setup) that keeps every event as
/// one line so tests can search it: level (Microsoft.Extensions.Logging names), source, the message as
/// the console renders it, every property as <c>Name=value</c>, and the exception with its text.
/// </summary>
public sealed class CapturingLogSink : ILogEventSink
{
    private static readonly MessageTemplateTextFormatter Message = new("{Message:lj}", CultureInfo.InvariantCulture);

    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        using var message = new StringWriter(CultureInfo.InvariantCulture);
        Message.Format(logEvent, message);
        var source = logEvent.Properties.TryGetValue("SourceContext", out var context) && context is ScalarValue { Value: string name } ? name : "";
        var values = string.Join(";", logEvent.Properties.Select(p => $"{p.Key}={(p.Value is ScalarValue { Value: var v } ? Convert.ToString(v, CultureInfo.InvariantCulture) : p.Value.ToString())}"));
        _lines.Enqueue($"{Level(logEvent.Level)} {source}: {message} | {values} | {logEvent.Exception}");
    }

    private static string Level(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "Trace",
        LogEventLevel.Debug => "Debug",
        LogEventLevel.Information => "Information",
        LogEventLevel.Warning => "Warning",
        LogEventLevel.Error => "Error",
        _ => "Critical",
    };
}

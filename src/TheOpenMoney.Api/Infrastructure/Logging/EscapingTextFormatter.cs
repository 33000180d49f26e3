using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace TheOpenMoney.Api.Infrastructure.Logging;

/// <summary>
/// The readable console format with every logged value made safe for a line-oriented log: control
/// characters (CR, LF, ESC, BEL, NUL …) and Unicode format characters (bidi overrides, zero-width) in
/// property values are written as escapes (<c>\r</c>, <c>\n</c>, <c>\u001B</c>), so a request path such as
/// <c>/x%0d%0a[01:00:00 ERR] FAKE</c> cannot start a line of its own or drive a terminal. An exception's text
/// keeps its line breaks (a stack trace is many lines) but each of its lines is indented and every other
/// control character escaped, so no line of it can pass for a log line either. Values are escaped,
/// never dropped: what the attacker sent stays readable for the investigation.
/// </summary>
public sealed class EscapingTextFormatter(string outputTemplate, IFormatProvider? formatProvider) : ITextFormatter
{
    private readonly MessageTemplateTextFormatter _line = new(outputTemplate.Replace("{Exception}", "", StringComparison.Ordinal), formatProvider);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        var safe = new LogEvent(
            logEvent.Timestamp,
            logEvent.Level,
            exception: null,
            logEvent.MessageTemplate,
            logEvent.Properties.Select(p => new LogEventProperty(p.Key, Escape(p.Value))),
            logEvent.TraceId ?? default,
            logEvent.SpanId ?? default);
        _line.Format(safe, output);
        if (logEvent.Exception is { } exception)
        {
            var lines = exception.ToString().Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                output.Write("    ");
                output.Write(Escape(lines[i].TrimEnd('\r')));
                output.Write(Environment.NewLine);
            }
        }
    }

    /// <summary><paramref name="text"/> with control and format characters written as escapes; itself when it has none.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(NeedsEscape))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            _ = c switch
            {
                '\r' => escaped.Append("\\r"),
                '\n' => escaped.Append("\\n"),
                '\t' => escaped.Append("\\t"),
                _ when NeedsEscape(c) => escaped.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format;

    private static LogEventPropertyValue Escape(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: string text } => new ScalarValue(Escape(text)),
        ScalarValue { Value: char c } => new ScalarValue(Escape(c.ToString())),
        SequenceValue sequence => new SequenceValue(sequence.Elements.Select(Escape)),
        StructureValue structure => new StructureValue(structure.Properties.Select(p => new LogEventProperty(p.Name, Escape(p.Value))), structure.TypeTag),
        DictionaryValue dictionary => new DictionaryValue(dictionary.Elements.Select(e => new KeyValuePair<ScalarValue, LogEventPropertyValue>((ScalarValue)Escape(e.Key), Escape(e.Value)))),
        _ => value,
    };
}

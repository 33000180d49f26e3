using System.Globalization;
using Serilog.Events;
using Serilog.Parsing;
using TheOpenMoney.Api.Infrastructure.Logging;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// Log forging: whatever bytes an unauthenticated client puts in a path, header or body, the readable
/// (text) log gets one line per event with every control character escaped — no forged lines, no
/// terminal escapes. The JSON format was already safe.
/// </summary>
public sealed class LogForgingTests
{
    private const string Forged = "/nothing\r\n[01:00:00 ERR] FAKE \u001b[31mred\u0007 \u202Efdp.exe\u0000";

    private static string Format(LogEvent logEvent)
    {
        using var output = new StringWriter();
        new EscapingTextFormatter(LoggingSetup.TextTemplate, CultureInfo.InvariantCulture).Format(logEvent, output);
        return output.ToString();
    }

    private static LogEvent Event(string template, Exception? exception, params (string Name, object Value)[] properties) =>
        new(
            DateTimeOffset.UtcNow,
            LogEventLevel.Information,
            exception,
            new MessageTemplateParser().Parse(template),
            properties.Select(p => new LogEventProperty(p.Name, p.Value is LogEventPropertyValue v ? v : new ScalarValue(p.Value))));

    [Fact]
    public void A_forged_path_stays_on_its_line_with_every_control_character_escaped()
    {
        var text = Format(Event("HTTP {RequestMethod:l} {RequestPath:l} responded {StatusCode}", null, ("RequestMethod", "GET"), ("RequestPath", Forged), ("StatusCode", 404)));

        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(text.TrimEnd('\n'), c => char.IsControl(c) || c == '\u202E');
        Assert.Contains("/nothing\\r\\n[01:00:00 ERR] FAKE \\u001B[31mred\\u0007 \\u202Efdp.exe\\u0000", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_inside_structures_sequences_and_dictionaries_are_escaped_too()
    {
        var structure = new StructureValue([new LogEventProperty("Comment", new ScalarValue("memo\r\n[ERR] x"))]);
        var sequence = new SequenceValue([new ScalarValue("a\nb")]);
        var dictionary = new DictionaryValue([new KeyValuePair<ScalarValue, LogEventPropertyValue>(new ScalarValue("k\r"), new ScalarValue("v\u001b"))]);

        var text = Format(Event("{@Row} {Items} {Map}", null, ("Row", structure), ("Items", sequence), ("Map", dictionary)));

        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(text.TrimEnd('\n'), char.IsControl);
    }

    [Fact]
    public void An_exception_keeps_its_lines_but_none_can_pass_for_a_log_line()
    {
        var text = Format(Event("failed", new InvalidOperationException("bad input\n[01:00:00 ERR] FAKE\u001b")));

        var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2);
        Assert.All(lines.Skip(1), line => Assert.StartsWith("    ", line, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.StartsWith("[01:00:00 ERR] FAKE", StringComparison.Ordinal));
        Assert.DoesNotContain(text, c => c == '\u001b');
    }

    [Fact]
    public async Task The_running_service_writes_a_forged_request_path_as_one_escaped_line()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["ApiKeys__Pepper"] = ApiFactory.Pepper,
            ["Webhooks__SecretKey"] = ApiFactory.WebhookSecretKey,
            ["Pricing__TonUsdRate"] = "3.6",
            ["Logging__ConsoleMinimumLevel"] = "Information",
        };
        await using var api = await ApiProcess.StartAsync(environment, captureOutput: true);
        using var http = new HttpClient { BaseAddress = new Uri(api.Url) };

        await http.GetAsync("/nothing%0d%0a%5B01:00:00%20ERR%5D%20FAKE%1b%5B31m%07");
        await http.GetAsync("/api/v1/health?marker=done");

        var lines = await Eventually.WaitAsync(
            () => Task.FromResult(api.Output.ToList()),
            found => found.Any(line => line.Contains("FAKE", StringComparison.Ordinal)),
            "the forged request's log line");
        Assert.DoesNotContain(lines, line => line.StartsWith("[01:00:00 ERR]", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Any(c => c is '\u001b' or '\u0007' or '\r'));
        Assert.Contains(lines, line => line.Contains("/nothing\\r\\n[01:00:00 ERR] FAKE\\u001B[31m\\u0007", StringComparison.Ordinal));
    }
}

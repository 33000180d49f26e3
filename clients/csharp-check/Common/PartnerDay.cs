using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace TheOpenMoney.ClientCheck;

/// <summary>
/// What both days share: the environment (<c>TOM_API_URL</c>, <c>TOM_SIM_URL</c>, <c>TOM_API_KEY</c>,
/// <c>TOM_TEST_API_KEY</c>: the same partner's test-mode key, <c>TOM_WEBHOOK_PORT</c>), the steps and checks with
/// their output, an <see cref="HttpClient"/> for the generated client (the partner key as a default header; every
/// response counted by status), and the summary.
/// </summary>
public sealed class PartnerDay(string name) : IDisposable
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly ResponseCounter counter = new();
    private int steps;

    public string Name { get; } = name;

    public string ApiUrl { get; } = Environment("TOM_API_URL", "http://127.0.0.1:8080").TrimEnd('/');

    public string SimulatorUrl { get; } = Environment("TOM_SIM_URL", "http://127.0.0.1:8081").TrimEnd('/');

    public string ApiKey { get; } = Environment("TOM_API_KEY");

    /// <summary>The same partner's test-mode key (<c>osk_test_…</c>) for the test-mode steps.</summary>
    public string TestApiKey { get; } = Environment("TOM_TEST_API_KEY");

    public int WebhookPort { get; } = int.Parse(Environment("TOM_WEBHOOK_PORT", "28090"), CultureInfo.InvariantCulture);

    /// <summary>A run id, so references and keys of two runs never meet.</summary>
    public string Run { get; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString("x", CultureInfo.InvariantCulture);

    /// <summary>The HttpClient a generated client is given: the key (<see cref="ApiKey"/> unless another is named) as a Bearer header, every response counted.</summary>
    public HttpClient CreateHttpClient(string? apiKey = null)
    {
        var http = new HttpClient(new ResponseCountingHandler(counter) { InnerHandler = new SocketsHttpHandler() }, disposeHandler: true)
        {
            BaseAddress = new Uri(ApiUrl + "/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey ?? ApiKey);
        return http;
    }

    public ProcessorSimulator Simulator() => new(SimulatorUrl);

    public void Step(string message)
    {
        steps++;
        Console.WriteLine($"-- {message}");
    }

    public static void Note(string message) => Console.WriteLine($"   {message}");

    public static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new CheckFailedException(message);
        }
    }

    /// <summary>The value, after checking it is there (a generated client types every property as optional).</summary>
    public static T Present<T>(T? value, string what)
        where T : class => value ?? throw new CheckFailedException($"{what} is missing");

    /// <summary>The value, after checking it is there.</summary>
    public static T Present<T>(T? value, string what)
        where T : struct => value ?? throw new CheckFailedException($"{what} is missing");

    /// <summary>Runs the day; prints the summary; 0 when every step passed.</summary>
    public async Task<int> RunAsync(Func<PartnerDay, Task> day)
    {
        ArgumentNullException.ThrowIfNull(day);
        Console.WriteLine($"== {Name}: a partner's day against {ApiUrl}");
        var status = 0;
        try
        {
            await day(this);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"\n!! {Name}: the day failed at step {steps}: {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e.StackTrace);
            status = 1;
        }

        var byStatus = string.Join(", ", counter.ByStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"));
        Console.WriteLine($"\n== {Name}: {steps} steps, {counter.Total} responses ({byStatus}) in {clock.Elapsed.TotalSeconds:0.0} s: {(status == 0 ? "OK" : "FAILED")}");
        return status;
    }

    public void Dispose() => counter.Dispose();

    private static string Environment(string name, string? fallback = null)
    {
        var value = System.Environment.GetEnvironmentVariable(name);
        return string.IsNullOrEmpty(value) ? fallback ?? throw new InvalidOperationException($"{name} is required") : value;
    }

    private sealed class ResponseCounter : IDisposable
    {
        public ConcurrentDictionary<int, int> ByStatus { get; } = new();

        public int Total => ByStatus.Values.Sum();

        public void Dispose() => ByStatus.Clear();
    }

    private sealed class ResponseCountingHandler(ResponseCounter counter) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            counter.ByStatus.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            return response;
        }
    }
}

/// <summary>A check of the day failed.</summary>
public sealed class CheckFailedException(string message) : Exception(message);

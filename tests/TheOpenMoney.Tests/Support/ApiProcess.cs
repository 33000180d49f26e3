using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace TheOpenMoney.Tests.Support;

/// <summary>The API binary run as a separate process (as operators run it), so a test can kill it hard.</summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ApiProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Lines the process wrote to stdout, when started with <c>captureOutput</c>.</summary>
    public ConcurrentQueue<string> Output { get; } = new();

    public static string Dll => typeof(Program).Assembly.Location;

    /// <summary>Starts the API on a free loopback port and waits until it answers health.</summary>
    public static async Task<ApiProcess> StartAsync(IReadOnlyDictionary<string, string> environment, bool captureOutput = false)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var info = Info(environment, Dll, "--urls", url);
        info.RedirectStandardOutput = captureOutput;
        info.RedirectStandardError = false;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the API");
        var api = new ApiProcess(process, url);
        if (captureOutput)
        {
            process.OutputDataReceived += (_, line) =>
            {
                if (line.Data is not null)
                {
                    api.Output.Enqueue(line.Data);
                }
            };
            process.BeginOutputReadLine();
        }

        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/api/v1/health")).IsSuccessStatusCode)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await api.DisposeAsync();
                throw new InvalidOperationException("the API process did not become healthy");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Runs an operator verb of the API binary to completion.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Process.Start(Info(environment, [Dll, .. args])) ?? throw new InvalidOperationException("could not start the CLI");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>SIGKILL: no shutdown, no flushing, mid-transaction.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static ProcessStartInfo Info(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(Dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        info.Environment["Logging__ConsoleMinimumLevel"] = "Critical";
        info.Environment["Management__Urls"] = "";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return info;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

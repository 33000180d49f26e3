using System.Globalization;
using System.Diagnostics;
using System.Net.Sockets;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// A throwaway redis-server on a free loopback port, from the machine's binary (<c>TOM_TEST_REDIS_SERVER</c>, else
/// <c>redis-server</c> on the PATH or in /usr/bin; <c>scripts/test.sh</c> installs it with apt when missing): no
/// persistence, stopped when disposed. Fails with what is missing when there is no binary.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>Starts one on a free port, or on <paramref name="port"/> (a restart where the last one ran).</summary>
    public static async Task<RedisServer> StartAsync(int? port = null)
    {
        var binary = Environment.GetEnvironmentVariable("TOM_TEST_REDIS_SERVER") is { Length: > 0 } set ? set : Find();
        port ??= FreePort();
        var process = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList = { "--port", port.Value.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"could not start {binary}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, port.Value);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port.Value);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string Find()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(dir => Path.Combine(dir, "redis-server"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server was not found (PATH, /usr/bin): install it (apt-get install redis-server; scripts/test.sh does as root) or set TOM_TEST_REDIS_SERVER");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

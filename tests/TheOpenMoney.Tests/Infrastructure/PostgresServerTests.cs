using System.Diagnostics;
using System.Net.Sockets;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// The test harness's choice of PostgreSQL (TOM_TEST_DATABASE_URL, a Testcontainers container when a Docker
/// engine answers, else the local binaries) and its bounded Docker probe.
/// </summary>
public sealed class PostgresServerTests
{
    private const string Url = "postgres://postgres@127.0.0.1:5432/postgres";
    private const string Bin = "/usr/lib/postgresql/17/bin";

    private static readonly DockerProbe Answered = DockerProbe.Engine("unix:///var/run/docker.sock");
    private static readonly DockerProbe NoEngine = DockerProbe.None("/var/run/docker.sock does not exist and DOCKER_HOST is unset");

    public static TheoryData<string?, bool, bool, string?, PostgresSource?> Combinations() => new()
    {
        // TOM_TEST_DATABASE_URL wins over both other paths, whatever they would say.
        { Url, true, true, null, PostgresSource.DatabaseUrl },
        { Url, true, false, null, PostgresSource.DatabaseUrl },
        { Url, false, true, null, PostgresSource.DatabaseUrl },
        { Url, false, false, null, PostgresSource.DatabaseUrl },
        { Url, true, false, "pull failed", PostgresSource.DatabaseUrl },
        { "Host=db;Username=postgres", false, false, null, PostgresSource.DatabaseUrl },

        // Unset (or blank): an engine that answered comes before the binaries.
        { null, true, true, null, PostgresSource.DockerContainer },
        { null, true, false, null, PostgresSource.DockerContainer },
        { "  ", true, true, null, PostgresSource.DockerContainer },
        { null, false, true, null, PostgresSource.LocalBinaries },
        { "", false, true, null, PostgresSource.LocalBinaries },

        // An engine whose container did not start falls back to the binaries when there are some.
        { null, true, true, "pull failed", PostgresSource.LocalBinaries },

        // Nothing usable: an error (null here).
        { null, false, false, null, null },
        { "", false, false, null, null },
        { null, true, false, "pull failed", null },
    };

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Choose_takes_the_url_then_docker_then_local_binaries(string? url, bool dockerAnswered, bool binariesFound, string? containerFailure, PostgresSource? expected)
    {
        var docker = dockerAnswered ? Answered : NoEngine;
        var binaries = binariesFound ? Bin : null;

        if (expected is null)
        {
            var error = Assert.Throws<InvalidOperationException>(() => PostgresServer.Choose(url, docker, binaries, containerFailure));
            Assert.StartsWith("No PostgreSQL for tests: TOM_TEST_DATABASE_URL is unset", error.Message, StringComparison.Ordinal);
            Assert.Contains("no PostgreSQL server binaries (initdb, pg_ctl) were found", error.Message, StringComparison.Ordinal);
            Assert.Contains(containerFailure ?? docker.Detail, error.Message, StringComparison.Ordinal);
            Assert.Contains("set TOM_TEST_DATABASE_URL", error.Message, StringComparison.Ordinal);
            return;
        }

        var plan = PostgresServer.Choose(url, docker, binaries, containerFailure);
        Assert.Equal(expected, plan.Source);
        Assert.StartsWith("PostgreSQL for tests: ", plan.Line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', plan.Line);
    }

    [Fact]
    public void Each_path_names_itself_and_why_in_one_line()
    {
        Assert.Equal("PostgreSQL for tests: TOM_TEST_DATABASE_URL (an existing server)",
            PostgresServer.Choose(Url, Answered, Bin).Line);
        Assert.Equal("PostgreSQL for tests: Docker container postgres:15 through Testcontainers (engine answered at unix:///var/run/docker.sock)",
            PostgresServer.Choose(null, Answered, Bin).Line);
        Assert.Equal($"PostgreSQL for tests: local binaries in {Bin} (no Docker engine: /var/run/docker.sock does not exist and DOCKER_HOST is unset)",
            PostgresServer.Choose(null, NoEngine, Bin).Line);
        Assert.Equal($"PostgreSQL for tests: local binaries in {Bin} (Docker engine at unix:///var/run/docker.sock answered, but the postgres:15 container did not start: pull failed)",
            PostgresServer.Choose(null, Answered, Bin, "pull failed").Line);
    }

    [Fact]
    public async Task The_running_server_took_the_path_its_environment_calls_for()
    {
        var server = await PostgresServer.GetAsync();
        var url = Environment.GetEnvironmentVariable("TOM_TEST_DATABASE_URL");
        if (!string.IsNullOrWhiteSpace(url))
        {
            Assert.Equal(PostgresSource.DatabaseUrl, server.Plan.Source);
        }
        else if (server.Plan.Source == PostgresSource.LocalBinaries && server.Plan.Line.Contains("(no Docker engine: ", StringComparison.Ordinal))
        {
            // Without an engine Testcontainers is never touched: not even its assemblies are loaded (no reaper, no
            // settings probe). (After an engine answered but its container failed, they were, and that is fine.)
            var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "").ToList();
            Assert.DoesNotContain(loaded, name => name.StartsWith("Testcontainers", StringComparison.Ordinal) || name.StartsWith("Docker.DotNet", StringComparison.Ordinal));
        }
        else
        {
            Assert.NotEqual(PostgresSource.DatabaseUrl, server.Plan.Source);
        }

        if (Environment.GetEnvironmentVariable(PostgresServer.ReportFileVariable) is { Length: > 0 } report)
        {
            Assert.Contains(server.Plan.Line, await File.ReadAllLinesAsync(report));
        }
    }

    [Fact]
    public async Task A_missing_socket_is_no_engine_at_once()
    {
        var path = Path.Combine(Path.GetTempPath(), "tom-no-docker-" + Guid.NewGuid().ToString("N") + ".sock");
        var started = Stopwatch.GetTimestamp();

        var probe = await DockerProbe.ProbeEndpointAsync("unix://" + path, TimeSpan.FromSeconds(2));

        Assert.False(probe.Answered);
        Assert.Contains("does not exist", probe.Detail, StringComparison.Ordinal);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Unprobed_schemes_and_junk_are_no_engine()
    {
        Assert.False((await DockerProbe.ProbeEndpointAsync("ssh://user@host", TimeSpan.FromSeconds(1))).Answered);
        Assert.False((await DockerProbe.ProbeEndpointAsync("not an address", TimeSpan.FromSeconds(1))).Answered);
    }

    [Fact]
    public async Task A_closed_tcp_port_is_no_engine()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var probe = await DockerProbe.ProbeEndpointAsync($"tcp://127.0.0.1:{port}", TimeSpan.FromSeconds(2));

        Assert.False(probe.Answered);
    }

    [Fact]
    public async Task A_socket_that_answers_ping_is_an_engine()
    {
        using var engine = new FakeEngine("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");

        var probe = await DockerProbe.ProbeEndpointAsync(engine.Endpoint, TimeSpan.FromSeconds(2));

        Assert.True(probe.Answered, probe.Detail);
        Assert.Equal(engine.Endpoint, probe.Endpoint);
    }

    [Fact]
    public async Task A_socket_that_answers_something_else_is_no_engine()
    {
        using var engine = new FakeEngine("HTTP/1.1 500 Internal Server Error\r\n\r\n");

        var probe = await DockerProbe.ProbeEndpointAsync(engine.Endpoint, TimeSpan.FromSeconds(2));

        Assert.False(probe.Answered);
        Assert.Contains("500", probe.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_socket_that_never_answers_is_given_up_on_within_the_bound()
    {
        using var engine = new FakeEngine(reply: null);
        var started = Stopwatch.GetTimestamp();

        var probe = await DockerProbe.ProbeEndpointAsync(engine.Endpoint, TimeSpan.FromMilliseconds(300));

        Assert.False(probe.Answered);
        Assert.Contains("did not answer within", probe.Detail, StringComparison.Ordinal);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(2));
    }

    /// <summary>A Unix socket that answers every connection with <c>reply</c> (or holds it silently when null).</summary>
    private sealed class FakeEngine : IDisposable
    {
        private readonly string _path = Path.Combine(Path.GetTempPath(), "tom-fake-docker-" + Guid.NewGuid().ToString("N")[..12] + ".sock");
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly CancellationTokenSource _stop = new();

        public FakeEngine(string? reply)
        {
            _listener.Bind(new UnixDomainSocketEndPoint(_path));
            _listener.Listen();
            _ = Task.Run(async () =>
            {
                try
                {
                    while (!_stop.IsCancellationRequested)
                    {
                        using var client = await _listener.AcceptAsync(_stop.Token);
                        var buffer = new byte[1024];
                        await client.ReceiveAsync(buffer, _stop.Token);
                        if (reply is null)
                        {
                            await Task.Delay(Timeout.Infinite, _stop.Token);
                        }

                        await client.SendAsync(Encoding.ASCII.GetBytes(reply!), _stop.Token);
                        client.Shutdown(SocketShutdown.Both);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    // Stopped.
                }
            });
        }

        public string Endpoint => "unix://" + _path;

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
            _stop.Dispose();
            File.Delete(_path);
        }
    }
}

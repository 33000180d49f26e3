using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Npgsql;
using Testcontainers.PostgreSql;

namespace TheOpenMoney.Tests.Support;

/// <summary>Where the test run's PostgreSQL comes from.</summary>
public enum PostgresSource
{
    /// <summary><c>TOM_TEST_DATABASE_URL</c>: an existing server.</summary>
    DatabaseUrl,

    /// <summary>A <c>postgres:15</c> container started through Testcontainers.</summary>
    DockerContainer,

    /// <summary>A throwaway cluster from the machine's own binaries (initdb, pg_ctl).</summary>
    LocalBinaries,
}

/// <summary>The path chosen and the one line the test output shows for it.</summary>
public sealed record PostgresPlan(PostgresSource Source, string Line);

/// <summary>
/// One PostgreSQL server for the whole test run: it yields connection strings, whichever of three paths
/// produced it (see <see cref="Choose"/>): <c>TOM_TEST_DATABASE_URL</c> when set; otherwise a
/// <c>postgres:15</c> container through Testcontainers when a Docker engine answers; otherwise a throwaway
/// cluster from the machine's own binaries on a free loopback port (as the <c>postgres</c> user when
/// running as root). Whatever it started is stopped when the test process exits. Every test class gets a
/// fresh database with a random name.
/// </summary>
public sealed class PostgresServer
{
    public const string ContainerImage = "postgres:15";

    /// <summary>When set, the chosen path's line is also appended to this file (<c>scripts/test.sh</c> prints it).</summary>
    public const string ReportFileVariable = "TOM_TEST_REPORT_FILE";

    private static readonly TimeSpan ContainerStartBound = TimeSpan.FromMinutes(5);

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private PostgresServer(string adminConnectionString, PostgresPlan plan)
    {
        AdminConnectionString = adminConnectionString;
        Plan = plan;
    }

    public string AdminConnectionString { get; }

    /// <summary>The path this run took and its line ("PostgreSQL for tests: …").</summary>
    public PostgresPlan Plan { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "tom_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, MaxPoolSize = 50 }.ConnectionString;
    }

    /// <summary>
    /// Decides where the test PostgreSQL comes from; pure, so every combination is unit-tested.
    /// <c>TOM_TEST_DATABASE_URL</c> wins over everything; then a Docker engine that answered (unless its
    /// container already failed to start: <paramref name="containerFailure"/>); then the local binaries;
    /// with none of them it throws, saying what is missing.
    /// </summary>
    /// <param name="databaseUrl">The value of <c>TOM_TEST_DATABASE_URL</c>.</param>
    /// <param name="docker">What the Docker probe found.</param>
    /// <param name="binaries">The folder holding initdb and pg_ctl, or null when none was found.</param>
    /// <param name="containerFailure">Why the container did not start, after a first try on an engine that answered.</param>
    public static PostgresPlan Choose(string? databaseUrl, DockerProbe docker, string? binaries, string? containerFailure = null)
    {
        if (!string.IsNullOrWhiteSpace(databaseUrl))
        {
            return new PostgresPlan(PostgresSource.DatabaseUrl, "PostgreSQL for tests: TOM_TEST_DATABASE_URL (an existing server)");
        }

        if (docker.Answered && containerFailure is null)
        {
            return new PostgresPlan(PostgresSource.DockerContainer,
                $"PostgreSQL for tests: Docker container {ContainerImage} through Testcontainers ({docker.Detail})");
        }

        var why = docker.Answered
            ? $"Docker engine at {docker.Endpoint} answered, but the {ContainerImage} container did not start: {containerFailure}"
            : $"no Docker engine: {docker.Detail}";
        if (binaries is not null)
        {
            return new PostgresPlan(PostgresSource.LocalBinaries, $"PostgreSQL for tests: local binaries in {binaries} ({why})");
        }

        throw new InvalidOperationException(
            $"No PostgreSQL for tests: TOM_TEST_DATABASE_URL is unset, {why}, and no PostgreSQL server binaries (initdb, pg_ctl) were found. "
            + "Run ./scripts/test.sh (it installs them), start a Docker engine, or set TOM_TEST_DATABASE_URL.");
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var url = Environment.GetEnvironmentVariable("TOM_TEST_DATABASE_URL");
        var binaries = FindBinaries();
        var docker = string.IsNullOrWhiteSpace(url) ? await DockerProbe.DetectAsync() : DockerProbe.None("not probed: TOM_TEST_DATABASE_URL is set");
        var plan = Choose(url, docker, binaries);
        string connectionString;
        switch (plan.Source)
        {
            case PostgresSource.DatabaseUrl:
                connectionString = ToConnectionString(url!);
                break;
            case PostgresSource.DockerContainer:
                try
                {
                    connectionString = await StartContainerAsync(docker.Endpoint!);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    var failure = ex.Message.Split('\n', 2)[0].Trim();
                    try
                    {
                        plan = Choose(url, docker, binaries, failure);
                    }
                    catch (InvalidOperationException none)
                    {
                        throw new InvalidOperationException(none.Message, ex);
                    }

                    connectionString = await StartLocalClusterAsync(binaries!);
                }

                break;
            default:
                connectionString = await StartLocalClusterAsync(binaries!);
                break;
        }

        Announce(plan.Line);
        return new PostgresServer(connectionString, plan);
    }

    /// <summary>
    /// Writes the chosen path where a person sees it: standard error (which <c>dotnet test</c> may or may not
    /// pass on) and, when <see cref="ReportFileVariable"/> names a file, that file.
    /// </summary>
    private static void Announce(string line)
    {
        Console.Error.WriteLine(line);
        if (Environment.GetEnvironmentVariable(ReportFileVariable) is { Length: > 0 } file)
        {
            File.AppendAllText(file, line + Environment.NewLine);
        }
    }

    /// <summary>
    /// Starts the container. Kept in a method of its own, only called on the Docker path, so that the
    /// Testcontainers assemblies are not even loaded when no engine answered (no reaper, no settings probe).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<string> StartContainerAsync(string endpoint)
    {
        var builder = new PostgreSqlBuilder(ContainerImage)
            .WithCommand("-c", "max_connections=500");
        if (endpoint.StartsWith("unix://", StringComparison.Ordinal))
        {
            // The socket the probe found; a tcp:// DOCKER_HOST is left to Testcontainers, which also reads its TLS settings.
            builder = builder.WithDockerEndpoint(endpoint);
        }

        var container = builder.Build();
        using var deadline = new CancellationTokenSource(ContainerStartBound);
        try
        {
            await container.StartAsync(deadline.Token);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            // Best effort: Testcontainers' reaper removes the container when this process is gone anyway.
            container.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        };

        return new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Pooling = true }.ConnectionString;
    }

    private static async Task<string> StartLocalClusterAsync(string bin)
    {
        var root = Environment.GetEnvironmentVariable("TOM_TEST_PG_ROOT") is { Length: > 0 } given
            ? given
            : Path.Combine(Path.GetTempPath(), "tom-test-pg-" + Environment.ProcessId);
        Directory.CreateDirectory(root);
        var data = Path.Combine(root, "cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chmod", ["755", root]);
            await RunAsync("chown", ["postgres:", data]);
        }

        await RunAsOwnerAsync(asRoot, Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"]);
        var port = FreePort();
        await RunAsOwnerAsync(asRoot, Path.Combine(bin, "pg_ctl"),
        [
            "-D", data, "-w", "-t", "60", "-l", Path.Combine(data, "server.log"),
            "-o", $"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500",
            "start",
        ]);

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAsOwnerAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]).GetAwaiter().GetResult();
                Directory.Delete(data, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // Best effort: the test script removes the whole root afterwards.
            }
        };

        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true";
    }

    private static string ToConnectionString(string url)
    {
        if (!url.StartsWith("postgres://", StringComparison.Ordinal) && !url.StartsWith("postgresql://", StringComparison.Ordinal))
        {
            return url;
        }

        var uri = new Uri(url);
        var userInfo = uri.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Username = Uri.UnescapeDataString(userInfo[0]),
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } db ? db : "postgres",
        };
        if (userInfo.Length > 1)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        return builder.ConnectionString;
    }

    /// <summary>The folder holding initdb and pg_ctl (<c>TOM_TEST_PG_BIN</c>, PATH, /usr/lib/postgresql/*/bin), or null.</summary>
    private static string? FindBinaries()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("TOM_TEST_PG_BIN") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")));
        }

        foreach (var dir in candidates)
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunAsOwnerAsync(bool asRoot, string file, string[] args) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static async Task RunAsync(string file, string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        }
    }
}

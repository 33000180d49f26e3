using System.Net.Sockets;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// What a quick look for a Docker engine found. <see cref="Endpoint"/> is the engine's address when it
/// answered; <see cref="Detail"/> says where it answered or why there is none, for the test output.
/// </summary>
public sealed record DockerProbe(bool Answered, string? Endpoint, string Detail)
{
    /// <summary>How long one probe may take in all (connect, ask, read) before it counts as "no engine".</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public static DockerProbe Engine(string endpoint) => new(true, endpoint, "engine answered at " + endpoint);

    public static DockerProbe None(string reason) => new(false, null, reason);

    /// <summary>
    /// Looks for a Docker engine without Testcontainers (whose own detection would start its machinery):
    /// <c>DOCKER_HOST</c> when set (unix:// or tcp://), otherwise the usual socket paths. Only a socket that
    /// exists is asked, with <c>GET /_ping</c>, and the whole look is bounded by <see cref="Timeout"/>, so a
    /// machine without an engine answers at once.
    /// </summary>
    public static async Task<DockerProbe> DetectAsync()
    {
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } dockerHost)
        {
            return await ProbeEndpointAsync(dockerHost, Timeout);
        }

        var candidates = new List<string> { "/var/run/docker.sock" };
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime)
        {
            candidates.Add(Path.Combine(runtime, "docker.sock"));
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0)
        {
            candidates.Add(Path.Combine(home, ".docker", "run", "docker.sock"));
            candidates.Add(Path.Combine(home, ".docker", "desktop", "docker.sock"));
        }

        var socket = candidates.FirstOrDefault(File.Exists);
        return socket is null
            ? None("/var/run/docker.sock does not exist and DOCKER_HOST is unset")
            : await ProbeEndpointAsync("unix://" + socket, Timeout);
    }

    /// <summary>Asks one endpoint (<c>unix:///path</c> or <c>tcp://host:port</c>) for <c>/_ping</c> within <paramref name="timeout"/>.</summary>
    public static async Task<DockerProbe> ProbeEndpointAsync(string endpoint, TimeSpan timeout)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            return None($"DOCKER_HOST={endpoint} is not an address");
        }

        EndPoint target;
        switch (uri.Scheme)
        {
            case "unix":
                if (!File.Exists(uri.AbsolutePath))
                {
                    return None($"{uri.AbsolutePath} does not exist");
                }

                target = new UnixDomainSocketEndPoint(uri.AbsolutePath);
                break;
            case "tcp":
                target = new DnsEndPoint(uri.Host, uri.Port > 0 ? uri.Port : 2375);
                break;
            default:
                return None($"{endpoint}: only unix:// and tcp:// engines are probed");
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            using var socket = target is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(target, deadline.Token);
            if (uri.Scheme == "tcp" && Environment.GetEnvironmentVariable("DOCKER_TLS_VERIFY") is { Length: > 0 } and not "0")
            {
                // A TLS engine does not answer plain HTTP; a connection is as far as a quick probe goes.
                return Engine(endpoint);
            }

            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"), deadline.Token);
            var buffer = new byte[512];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), deadline.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
                if (Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var status = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n", 2)[0];
            return status.StartsWith("HTTP/1.", StringComparison.Ordinal) && status.Contains(" 200", StringComparison.Ordinal)
                ? Engine(endpoint)
                : None($"{endpoint} did not answer /_ping with 200 (got \"{status}\")");
        }
        catch (OperationCanceledException)
        {
            return None($"{endpoint} did not answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (SocketException ex)
        {
            return None($"{endpoint}: {ex.Message}");
        }
    }
}

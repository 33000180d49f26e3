using System.Net;
using System.Net.Sockets;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// The handler webhook deliveries go out through. It resolves each host itself at connect time and
/// connects only to the addresses it has judged (<see cref="WebhookUrlPolicy.IsPublicAddress"/>), so a
/// DNS answer that changes between the registration check and the connection (DNS rebinding) cannot
/// reach a private address. No redirects, cookies, proxy or decompression.
/// </summary>
public static class WebhookHttpHandler
{
    /// <summary>How long a pooled connection is reused before the host is resolved (and judged) again.</summary>
    public static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(2);

    /// <summary>A handler over the system resolver.</summary>
    /// <param name="allowPrivateNetworks"><c>Webhooks:AllowPrivateNetworks</c>: connect to any address.</param>
    /// <param name="connectTimeout">The limit on resolving and connecting.</param>
    public static SocketsHttpHandler Create(bool allowPrivateNetworks, TimeSpan connectTimeout) =>
        Create(allowPrivateNetworks, connectTimeout, SystemDnsResolver.Instance);

    /// <summary>A handler over <paramref name="resolver"/> (tests inject DNS answers).</summary>
    public static SocketsHttpHandler Create(bool allowPrivateNetworks, TimeSpan connectTimeout, IDnsResolver resolver) => new()
    {
        // The URL's host and port would be metric labels (server.address, server.port) chosen by partners:
        // this handler's HTTP metrics go to a meter nobody exports; tom.webhooks.* measure the attempts.
        MeterFactory = UnexportedMeters.Instance,
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = PooledConnectionLifetime,
        ConnectTimeout = connectTimeout,
        ConnectCallback = (context, cancellationToken) =>
            ConnectAsync(context.DnsEndPoint, allowPrivateNetworks, resolver, cancellationToken),
    };

    /// <summary>
    /// Reads at most <paramref name="maxBytes"/> of <paramref name="content"/> into memory. Whether there
    /// was more is told by reading one byte past the cap (never kept); the rest is not read. The response
    /// must have been requested with <see cref="HttpCompletionOption.ResponseHeadersRead"/>, or HttpClient
    /// will already have buffered all of it.
    /// </summary>
    public static async Task<(byte[] Body, bool Truncated)> ReadCappedAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[maxBytes];
        var read = await stream.ReadAtLeastAsync(buffer, maxBytes, throwOnEndOfStream: false, cancellationToken);
        if (read < maxBytes)
        {
            return (buffer[..read], false);
        }
        var probe = new byte[1];
        var more = await stream.ReadAsync(probe, cancellationToken) > 0;
        return (buffer, more);
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowPrivateNetworks, IDnsResolver resolver, CancellationToken cancellationToken)
    {
        var addresses = await WebhookAddressGuard.ResolveHostAsync(resolver, endpoint.Host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new WebhookAddressRefusedException($"webhook host {endpoint.Host} does not resolve");
        }
        // As at registration: one non-public answer refuses the host, rather than picking around it.
        var refused = allowPrivateNetworks ? null : addresses.FirstOrDefault(a => !WebhookUrlPolicy.IsPublicAddress(a));
        if (refused is not null)
        {
            throw new WebhookAddressRefusedException(
                $"webhook host {endpoint.Host} resolves to {refused}, a loopback, private, link-local, multicast or reserved address; not connecting");
        }

        Exception? lastFailure = null;
        foreach (var address in addresses)
        {
            // Connect to the judged address itself: an IPEndPoint, never the name (which would be resolved again).
            var target = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(target, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                lastFailure = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw lastFailure!;
    }
}

/// <summary>
/// A webhook connection refused before it was made: the host does not resolve, or resolves to an
/// address webhooks may not reach. <see cref="SocketsHttpHandler"/> hands it back as the inner exception
/// of the <see cref="HttpRequestException"/> the request fails with.
/// </summary>
public sealed class WebhookAddressRefusedException(string message)
    : HttpRequestException(HttpRequestError.ConnectionError, message);

/// <summary>
/// Meters for the webhook client's own HTTP instruments, under a name no exporter subscribes to (outside
/// the exported <c>TheOpenMoney.*</c>): its labels (the partner-chosen host and port) must never become time series.
/// </summary>
internal sealed class UnexportedMeters : System.Diagnostics.Metrics.IMeterFactory
{
    public const string MeterName = "Unexported.WebhookHttpClient";

    public static UnexportedMeters Instance { get; } = new();

    private readonly System.Diagnostics.Metrics.Meter _meter = new(MeterName);

    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => _meter;

    public void Dispose()
    {
        // One meter for the process's lifetime.
    }
}

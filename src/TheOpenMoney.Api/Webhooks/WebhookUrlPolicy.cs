using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>
/// What a partner's webhook URL may be (the spec's "URLs" rule): <see cref="SyntaxProblem"/> for the
/// text, <see cref="IsPublicAddress"/> for where it may lead. Both are checked at registration
/// (<see cref="WebhookAddressGuard"/>) and the address rule again on every connection
/// (<see cref="WebhookHttpHandler"/>), so a webhook can never reach the service's own network.
/// </summary>
public static partial class WebhookUrlPolicy
{
    public const int MaxLength = 2048;

    /// <summary>
    /// Null when <paramref name="url"/> is an acceptable webhook URL as text, else a short message for a
    /// 422 (<c>url must …</c>). Does not resolve the host: that is <see cref="WebhookAddressGuard.HostProblemAsync"/>.
    /// </summary>
    /// <param name="url">The URL exactly as the partner sent it.</param>
    /// <param name="allowInsecureUrls"><c>Webhooks:AllowInsecureUrls</c>: accept <c>http</c> beside <c>https</c>. No other scheme is ever accepted.</param>
    public static string? SyntaxProblem(string? url, bool allowInsecureUrls)
    {
        var schemes = allowInsecureUrls ? "https or http" : "https";
        if (string.IsNullOrEmpty(url))
        {
            return "url must be an absolute https URL";
        }
        if (url.Length > MaxLength)
        {
            return $"url must be at most {MaxLength} characters";
        }
        if (url.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "url must not contain spaces or control characters";
        }
        // No bidi overrides (U+202E), zero-width or other invisible format characters, private-use or
        // unassigned code points: they make a URL read other than where it goes. Letters of any script stay
        // (an international host name becomes its xn-- form).
        if (url.Any(c => CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned))
        {
            return "url must not contain invisible, bidirectional-override or unassigned characters";
        }
        // Uri alone would read "/hooks" as file:///hooks on Linux: an absolute URL starts with its scheme.
        if (!StartsWithScheme().IsMatch(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return $"url must be an absolute {schemes} URL";
        }
        var secure = uri.Scheme == Uri.UriSchemeHttps;
        var insecureAllowed = allowInsecureUrls && uri.Scheme == Uri.UriSchemeHttp;
        if (!secure && !insecureAllowed)
        {
            return $"url must use {schemes}";
        }
        if (uri.UserInfo.Length > 0 || RawAuthority(url).Contains('@', StringComparison.Ordinal))
        {
            return "url must not contain credentials";
        }
        if (uri.IdnHost.Length == 0)
        {
            return "url must have a host";
        }
        if (url.Contains('#', StringComparison.Ordinal))
        {
            return "url must not have a fragment";
        }
        if (!IsAllowedPort(uri))
        {
            return "url port must be the scheme's default or 1024-65535, and not a well-known database or infrastructure port";
        }
        return null;
    }

    /// <summary>
    /// Ports other than 1024–65535 (and the scheme's own 443 or 80) are services, not webhook receivers
    /// (22, 25, 0 …); so are these well-known database and infrastructure ports above 1024, which a webhook
    /// must never be pointed at even where the host is public.
    /// </summary>
    public static readonly IReadOnlySet<int> RefusedPorts = new HashSet<int>
    {
        1433, 1521, 2375, 2376, 2379, 2380, 3306, 5432, 5672, 5984, 6379, 6443, 8500, 9042, 9092, 9200, 9300, 10250, 11211, 27017,
    };

    private static bool IsAllowedPort(Uri uri) =>
        uri.IsDefaultPort || (uri.Port is >= 1024 and <= 65535 && !RefusedPorts.Contains(uri.Port));

    /// <summary>
    /// True when <paramref name="address"/> is on the public internet: false for loopback, private,
    /// link-local, shared (CGNAT), multicast, unspecified, documentation and other reserved ranges.
    /// An IPv6 address that carries an IPv4 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4) is judged
    /// by the IPv4 address inside; any other IPv6 address must be global unicast (2000::/3).
    /// </summary>
    public static bool IsPublicAddress(IPAddress address)
    {
        // First, and not through the tables: IPNetwork.Contains reads an IPv4-mapped address as the IPv4
        // one, so no IPv6 range judges it reliably (::ffff:10.0.0.1 is "in" 2000::/3).
        if (address.IsIPv4MappedToIPv6)
        {
            return IsPublicAddress(address.MapToIPv4());
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !NonPublicV4.Any(range => range.Network.Contains(address));
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }
        // The exact ranges first: ::1 and :: sit inside ::/96, whose embedded-IPv4 rule would judge them too, but less plainly.
        if (NonPublicV6.Any(range => range.Network.Contains(address)))
        {
            return false;
        }
        foreach (var (network, offset) in EmbeddingIPv4)
        {
            if (network.Contains(address))
            {
                var embedded = new IPAddress(address.GetAddressBytes().AsSpan(offset, 4));
                return IsPublicAddress(embedded);
            }
        }
        return GlobalUnicastV6.Contains(address);
    }

    /// <summary>A range the webhooks may not reach, and why.</summary>
    private sealed record Range(IPNetwork Network, string Reason)
    {
        public static Range Of(string cidr, string reason) => new(IPNetwork.Parse(cidr), reason);
    }

    private static readonly Range[] NonPublicV4 =
    [
        Range.Of("0.0.0.0/8", "this network, including the unspecified 0.0.0.0"),
        Range.Of("10.0.0.0/8", "private (RFC 1918)"),
        Range.Of("100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)"),
        Range.Of("127.0.0.0/8", "loopback"),
        Range.Of("169.254.0.0/16", "link-local, including cloud metadata at 169.254.169.254"),
        Range.Of("172.16.0.0/12", "private (RFC 1918)"),
        Range.Of("192.0.0.0/24", "IETF protocol assignments"),
        Range.Of("192.0.2.0/24", "documentation (TEST-NET-1)"),
        Range.Of("192.168.0.0/16", "private (RFC 1918)"),
        Range.Of("198.18.0.0/15", "benchmarking"),
        Range.Of("198.51.100.0/24", "documentation (TEST-NET-2)"),
        Range.Of("203.0.113.0/24", "documentation (TEST-NET-3)"),
        Range.Of("224.0.0.0/4", "multicast"),
        Range.Of("240.0.0.0/4", "reserved, including the broadcast 255.255.255.255"),
    ];

    private static readonly Range[] NonPublicV6 =
    [
        Range.Of("::/128", "unspecified"),
        Range.Of("::1/128", "loopback"),
        Range.Of("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
        Range.Of("100::/64", "discard-only"),
        Range.Of("2001::/32", "Teredo: carries a client address this check cannot judge"),
        Range.Of("2001:db8::/32", "documentation"),
        Range.Of("3fff::/20", "documentation (RFC 9637)"),
        Range.Of("fc00::/7", "unique local"),
        Range.Of("fe80::/10", "link-local"),
        Range.Of("fec0::/10", "site-local (deprecated)"),
        Range.Of("ff00::/8", "multicast"),
    ];

    /// <summary>IPv6 ranges that carry an IPv4 address, and the byte where it starts (IPv4-mapped ::ffff:0:0/96 is taken before these).</summary>
    private static readonly (IPNetwork Network, int Offset)[] EmbeddingIPv4 =
    [
        (IPNetwork.Parse("::ffff:0:0:0/96"), 12), // IPv4-translated (SIIT)
        (IPNetwork.Parse("::/96"), 12), // IPv4-compatible (deprecated)
        (IPNetwork.Parse("64:ff9b::/96"), 12), // NAT64 well-known prefix
        (IPNetwork.Parse("2002::/16"), 2), // 6to4
    ];

    private static readonly IPNetwork GlobalUnicastV6 = IPNetwork.Parse("2000::/3");

    /// <summary>The authority as written (between <c>//</c> and the path), where a bare <c>@</c> that <see cref="Uri.UserInfo"/> drops still shows.</summary>
    private static string RawAuthority(string url)
    {
        var start = url.IndexOf("//", StringComparison.Ordinal);
        if (start < 0)
        {
            return "";
        }
        var rest = url[(start + 2)..];
        var end = rest.IndexOfAny(['/', '?', '#', '\\']);
        return end < 0 ? rest : rest[..end];
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*:", RegexOptions.CultureInvariant)]
    private static partial Regex StartsWithScheme();
}

/// <summary>Answers the addresses a host name resolves to. The system resolver by default; tests inject answers.</summary>
public interface IDnsResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The operating system's resolver (<see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>).</summary>
public sealed class SystemDnsResolver : IDnsResolver
{
    public static SystemDnsResolver Instance { get; } = new();

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>
/// The registration-time address check: a webhook URL's host must resolve, and every address it
/// resolves to must be public (<see cref="WebhookUrlPolicy.IsPublicAddress"/>). Delivery checks again
/// at each connection (<see cref="WebhookHttpHandler"/>), since DNS answers may change after this one.
/// </summary>
public sealed class WebhookAddressGuard(IDnsResolver? resolver = null)
{
    private readonly IDnsResolver _resolver = resolver ?? SystemDnsResolver.Instance;

    /// <summary>The one answer to a host that does not resolve or resolves where webhooks may not go.</summary>
    /// <remarks>
    /// The same words whatever the reason, without the name or an address: telling "does not resolve" from
    /// "resolves to 10.1.2.3" would make registration a DNS oracle into the operator's network.
    /// </remarks>
    public const string HostRefused = "url is not allowed: its host must resolve, and only to public internet addresses";

    /// <summary>
    /// Null when <paramref name="url"/>'s host resolves and (unless <paramref name="allowPrivateNetworks"/>)
    /// only to public addresses, else <see cref="HostRefused"/> for a 422. An IP-literal host is judged as itself.
    /// </summary>
    /// <param name="url">A URL that passed <see cref="WebhookUrlPolicy.SyntaxProblem"/>.</param>
    /// <param name="allowPrivateNetworks"><c>Webhooks:AllowPrivateNetworks</c>: accept any address the host resolves to.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    public async Task<string?> HostProblemAsync(Uri url, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        var addresses = await ResolveHostAsync(_resolver, url.IdnHost, cancellationToken);
        var acceptable = addresses.Length > 0 && (allowPrivateNetworks || addresses.All(WebhookUrlPolicy.IsPublicAddress));
        return acceptable ? null : HostRefused;
    }

    /// <summary>
    /// The addresses <paramref name="host"/> stands for: itself when it is an IP literal (with or without
    /// IPv6 brackets), else the resolver's answer; empty when the name does not resolve.
    /// </summary>
    internal static async Task<IPAddress[]> ResolveHostAsync(IDnsResolver resolver, string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return [literal];
        }
        try
        {
            return await resolver.ResolveAsync(host, cancellationToken);
        }
        catch (SocketException)
        {
            return [];
        }
    }
}

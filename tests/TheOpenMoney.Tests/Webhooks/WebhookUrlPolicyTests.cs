using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using TheOpenMoney.Api.Webhooks;

namespace TheOpenMoney.Tests.Webhooks;

/// <summary>
/// Where a webhook may go: the URL's text, the addresses it may lead to, the registration check over
/// DNS, and the delivery handler that checks again at connect time (no database needed).
/// </summary>
public sealed class WebhookUrlPolicyTests
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>DNS answers set by the test; an unknown name does not resolve.</summary>
    private sealed class FakeDns(Dictionary<string, string[]> answers) : IDnsResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
            answers.TryGetValue(host, out var addresses)
                ? Task.FromResult(addresses.Select(IPAddress.Parse).ToArray())
                : throw new SocketException((int)SocketError.HostNotFound);
    }

    // ---- the URL as text ----

    [Theory]
    [InlineData("https://hooks.example.com/tom")]
    [InlineData("https://hooks.example.com:8443/tom?partner=42")]
    [InlineData("https://hooks.example.com:443/tom")]
    [InlineData("https://hooks.example.com:1024/")]
    [InlineData("https://hooks.example.com:65535/")]
    [InlineData("HTTPS://Hooks.Example.com/")]
    [InlineData("https://bücher.example/hook")]
    [InlineData("https://203.0.113.9/hook")] // an IP literal is fine as text; the address rule judges it
    [InlineData("https://[2606:4700:4700::1111]/hook")]
    public void A_valid_https_url_is_accepted(string url) => Assert.Null(WebhookUrlPolicy.SyntaxProblem(url, allowInsecureUrls: false));

    [Theory]
    [InlineData(null, "url must be an absolute https URL")]
    [InlineData("", "url must be an absolute https URL")]
    [InlineData("/hooks/tom", "url must be an absolute https URL")]
    [InlineData("hooks/tom", "url must be an absolute https URL")]
    [InlineData("//hooks.example.com/tom", "url must be an absolute https URL")]
    [InlineData("hooks.example.com/tom", "url must be an absolute https URL")]
    [InlineData("https:hooks.example.com", "url must be an absolute https URL")]
    [InlineData("ftp://hooks.example.com/tom", "url must use https")]
    [InlineData("javascript:alert(1)", "url must use https")]
    [InlineData("file:///etc/passwd", "url must use https")]
    [InlineData("gopher://hooks.example.com/", "url must use https")]
    [InlineData("http://hooks.example.com/tom", "url must use https")]
    [InlineData("https://user:pass@hooks.example.com/tom", "url must not contain credentials")]
    [InlineData("https://user@hooks.example.com/tom", "url must not contain credentials")]
    [InlineData("https://@hooks.example.com/tom", "url must not contain credentials")]
    [InlineData("https://hooks.example.com/tom#top", "url must not have a fragment")]
    [InlineData("https://hooks.example.com/tom#", "url must not have a fragment")]
    [InlineData(" https://hooks.example.com/tom", "url must not contain spaces or control characters")]
    [InlineData("https://hooks.example.com/t\nom", "url must not contain spaces or control characters")]
    [InlineData("https://hooks.example.com/\u202Egpj.exe", "url must not contain invisible, bidirectional-override or unassigned characters")]
    [InlineData("https://hooks\u200B.example.com/", "url must not contain invisible, bidirectional-override or unassigned characters")]
    [InlineData("https://hooks.example.com/\uE000", "url must not contain invisible, bidirectional-override or unassigned characters")]
    [InlineData("https://hooks.example.com:0/", "url port must be the scheme's default or 1024-65535, and not a well-known database or infrastructure port")]
    [InlineData("https://hooks.example.com:22/", "url port must be the scheme's default or 1024-65535, and not a well-known database or infrastructure port")]
    [InlineData("https://hooks.example.com:80/", "url port must be the scheme's default or 1024-65535, and not a well-known database or infrastructure port")]
    [InlineData("https://hooks.example.com:5432/", "url port must be the scheme's default or 1024-65535, and not a well-known database or infrastructure port")]
    [InlineData("https://hooks.example.com:6379/", "url port must be the scheme's default or 1024-65535, and not a well-known database or infrastructure port")]
    [InlineData("https://hooks.example.com:27017/", "url port must be the scheme's default or 1024-65535, and not a well-known database or infrastructure port")]
    public void An_unacceptable_url_is_refused_with_the_rule_it_breaks(string? url, string problem) =>
        Assert.Equal(problem, WebhookUrlPolicy.SyntaxProblem(url, allowInsecureUrls: false));

    [Fact]
    public void Http_is_accepted_only_when_insecure_urls_are_allowed()
    {
        Assert.Equal("url must use https", WebhookUrlPolicy.SyntaxProblem("http://localhost:5000/hook", allowInsecureUrls: false));
        Assert.Null(WebhookUrlPolicy.SyntaxProblem("http://localhost:5000/hook", allowInsecureUrls: true));
        Assert.Null(WebhookUrlPolicy.SyntaxProblem("https://localhost:5000/hook", allowInsecureUrls: true));
    }

    [Theory]
    [InlineData("ftp://hooks.example.com/")]
    [InlineData("ws://hooks.example.com/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("file:///etc/passwd")]
    [InlineData("data:text/plain,hi")]
    public void No_other_scheme_is_accepted_even_when_insecure_urls_are_allowed(string url) =>
        Assert.Equal("url must use https or http", WebhookUrlPolicy.SyntaxProblem(url, allowInsecureUrls: true));

    [Fact]
    public void A_url_of_2048_characters_is_accepted_and_one_more_is_refused()
    {
        const string Prefix = "https://hooks.example.com/";
        var longest = Prefix + new string('a', WebhookUrlPolicy.MaxLength - Prefix.Length);

        Assert.Null(WebhookUrlPolicy.SyntaxProblem(longest, allowInsecureUrls: false));
        Assert.Equal("url must be at most 2048 characters", WebhookUrlPolicy.SyntaxProblem(longest + "a", allowInsecureUrls: false));
    }

    // ---- the addresses ----

    [Theory]
    [InlineData("127.0.0.1")] // loopback
    [InlineData("127.255.255.255")]
    [InlineData("::1")]
    [InlineData("0.0.0.0")] // unspecified, this network
    [InlineData("0.255.255.255")]
    [InlineData("::")]
    [InlineData("10.0.0.0")] // RFC 1918
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.0")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.0.0")]
    [InlineData("192.168.255.255")]
    [InlineData("169.254.0.0")] // link-local
    [InlineData("169.254.169.254")]
    [InlineData("169.254.255.255")]
    [InlineData("fe80::1")]
    [InlineData("febf:ffff::1")]
    [InlineData("100.64.0.0")] // CGNAT
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("fc00::1")] // unique local
    [InlineData("fdff:ffff::1")]
    [InlineData("224.0.0.1")] // multicast
    [InlineData("239.255.255.255")]
    [InlineData("ff02::1")]
    [InlineData("ff0e::1")]
    [InlineData("255.255.255.255")] // broadcast, and the reserved 240/4 around it
    [InlineData("240.0.0.1")]
    [InlineData("192.0.0.0")] // IETF protocol assignments
    [InlineData("192.0.0.255")]
    [InlineData("198.18.0.0")] // benchmarking
    [InlineData("198.19.255.255")]
    [InlineData("192.0.2.1")] // documentation
    [InlineData("198.51.100.1")]
    [InlineData("203.0.113.1")]
    [InlineData("2001:db8::1")]
    [InlineData("2001:db8:ffff:ffff::1")]
    [InlineData("fec0::1")] // site-local
    [InlineData("feff::1")]
    [InlineData("::ffff:127.0.0.1")] // IPv4-mapped: judged by the IPv4 inside
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:0.0.0.0")]
    [InlineData("::127.0.0.1")] // IPv4-compatible
    [InlineData("::10.0.0.1")]
    [InlineData("::ffff:0:a00:1")] // IPv4-translated (SIIT) 10.0.0.1
    [InlineData("64:ff9b::127.0.0.1")] // NAT64
    [InlineData("64:ff9b::a9fe:a9fe")] // 169.254.169.254
    [InlineData("64:ff9b:1::1")] // local-use NAT64
    [InlineData("2002:7f00:1::1")] // 6to4 of 127.0.0.1
    [InlineData("2002:c0a8:101::1")] // 6to4 of 192.168.1.1
    [InlineData("2001:0:4136:e378::1")] // Teredo
    [InlineData("100::1")] // discard-only
    [InlineData("3fff::1")] // documentation (RFC 9637)
    [InlineData("4000::1")] // not global unicast
    public void A_non_public_address_is_refused(string address) =>
        Assert.False(WebhookUrlPolicy.IsPublicAddress(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:81b::200e")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("2002:808:808::1")] // 6to4 of 8.8.8.8
    [InlineData("1.0.0.0")] // just past 0.0.0.0/8
    [InlineData("9.255.255.255")] // around 10/8
    [InlineData("11.0.0.0")]
    [InlineData("100.63.255.255")] // around 100.64/10
    [InlineData("100.128.0.0")]
    [InlineData("126.255.255.255")] // around 127/8
    [InlineData("128.0.0.0")]
    [InlineData("169.253.255.255")] // around 169.254/16
    [InlineData("169.255.0.0")]
    [InlineData("172.15.255.255")] // around 172.16/12
    [InlineData("172.32.0.0")]
    [InlineData("192.0.1.255")] // around 192.0.0/24 and 192.0.2/24
    [InlineData("192.0.3.0")]
    [InlineData("192.167.255.255")] // around 192.168/16
    [InlineData("192.169.0.0")]
    [InlineData("198.17.255.255")] // around 198.18/15
    [InlineData("198.20.0.0")]
    [InlineData("198.51.99.255")] // around 198.51.100/24
    [InlineData("198.51.101.0")]
    [InlineData("203.0.112.255")] // around 203.0.113/24
    [InlineData("203.0.114.0")]
    [InlineData("223.255.255.255")] // just below multicast
    [InlineData("2001:db7:ffff::1")] // around 2001:db8::/32
    [InlineData("2001:db9::1")]
    public void A_public_address_is_accepted(string address) =>
        Assert.True(WebhookUrlPolicy.IsPublicAddress(IPAddress.Parse(address)));

    // ---- the host, resolved at registration ----

    [Fact]
    public async Task A_name_resolving_to_loopback_is_refused_unless_private_networks_are_allowed()
    {
        var guard = new WebhookAddressGuard(new FakeDns(new() { ["hooks.example.com"] = ["127.0.0.1"] }));
        var url = new Uri("https://hooks.example.com/tom");

        var problem = await guard.HostProblemAsync(url, allowPrivateNetworks: false, CancellationToken.None);

        Assert.Equal(WebhookAddressGuard.HostRefused, problem);
        Assert.Null(await guard.HostProblemAsync(url, allowPrivateNetworks: true, CancellationToken.None));
    }

    [Fact]
    public async Task A_name_resolving_to_one_public_and_one_private_address_is_refused()
    {
        var guard = new WebhookAddressGuard(new FakeDns(new() { ["hooks.example.com"] = ["8.8.8.8", "10.0.0.7"] }));

        var problem = await guard.HostProblemAsync(new Uri("https://hooks.example.com/"), allowPrivateNetworks: false, CancellationToken.None);

        Assert.Equal(WebhookAddressGuard.HostRefused, problem);
    }

    [Fact]
    public async Task A_name_resolving_only_to_public_addresses_is_accepted()
    {
        var guard = new WebhookAddressGuard(new FakeDns(new() { ["hooks.example.com"] = ["8.8.8.8", "2606:4700:4700::1111"] }));

        Assert.Null(await guard.HostProblemAsync(new Uri("https://hooks.example.com/"), allowPrivateNetworks: false, CancellationToken.None));
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_refused_even_when_private_networks_are_allowed()
    {
        var guard = new WebhookAddressGuard(new FakeDns(new() { ["empty.example.com"] = [] }));

        Assert.Equal(WebhookAddressGuard.HostRefused,
            await guard.HostProblemAsync(new Uri("https://nowhere.example.com/"), allowPrivateNetworks: true, CancellationToken.None));
        Assert.Equal(WebhookAddressGuard.HostRefused,
            await guard.HostProblemAsync(new Uri("https://empty.example.com/"), allowPrivateNetworks: true, CancellationToken.None));
    }

    [Fact]
    public async Task The_refusal_never_tells_a_name_that_does_not_resolve_from_one_that_resolves_inside()
    {
        // A DNS oracle would let a partner map the operator's network: both answers are the same words,
        // naming neither the host nor an address.
        var guard = new WebhookAddressGuard(new FakeDns(new() { ["internal-db.corp.example"] = ["10.20.30.40"] }));

        var inside = await guard.HostProblemAsync(new Uri("https://internal-db.corp.example/"), allowPrivateNetworks: false, CancellationToken.None);
        var nowhere = await guard.HostProblemAsync(new Uri("https://missing.corp.example/"), allowPrivateNetworks: false, CancellationToken.None);

        Assert.Equal(inside, nowhere);
        Assert.DoesNotContain("corp.example", inside, StringComparison.Ordinal);
        Assert.DoesNotContain("10.20", inside, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://localhost/hook")]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://[::ffff:127.0.0.1]/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("http://2130706433/")] // 127.0.0.1 written as one number
    [InlineData("http://0x7f.1/")] // and in hex
    [InlineData("https://[fe80::1%25eth0]/")] // link-local with a zone
    public async Task Loopback_and_metadata_hosts_are_refused_with_the_real_resolver(string url)
    {
        var problem = await new WebhookAddressGuard().HostProblemAsync(new Uri(url), allowPrivateNetworks: false, CancellationToken.None);

        Assert.Equal(WebhookAddressGuard.HostRefused, problem);
    }

    [Fact]
    public async Task An_ip_literal_is_judged_as_itself_without_asking_the_resolver()
    {
        var guard = new WebhookAddressGuard(new FakeDns(new()));

        Assert.Null(await guard.HostProblemAsync(new Uri("https://8.8.8.8/"), allowPrivateNetworks: false, CancellationToken.None));
        Assert.Null(await guard.HostProblemAsync(new Uri("https://[2606:4700:4700::1111]/"), allowPrivateNetworks: false, CancellationToken.None));
        Assert.NotNull(await guard.HostProblemAsync(new Uri("https://10.1.2.3/"), allowPrivateNetworks: false, CancellationToken.None));
    }

    // ---- the delivery handler, checking again at connect time ----

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task The_handler_refuses_to_connect_to_loopback_and_the_server_sees_nothing(string host)
    {
        await using var server = await FakeHttpServer.StartAsync();
        server.RespondJson(200, "{}");
        using var client = new HttpClient(WebhookHttpHandler.Create(allowPrivateNetworks: false, ConnectTimeout));

        var ex = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync(UrlOn(server, host), new StringContent("{}")));

        Assert.Contains("a loopback, private, link-local, multicast or reserved address; not connecting", Refusal(ex).Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Requests);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task The_handler_connects_to_loopback_when_private_networks_are_allowed(string host)
    {
        await using var server = await FakeHttpServer.StartAsync();
        server.RespondJson(200, """{"ok":true}""");
        using var client = new HttpClient(WebhookHttpHandler.Create(allowPrivateNetworks: true, ConnectTimeout));

        using var response = await client.PostAsync(UrlOn(server, host), new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"ok":true}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task The_handler_judges_the_address_at_connect_time_so_a_rebound_name_is_refused()
    {
        // Registration saw a public address; by delivery the name answers loopback (DNS rebinding).
        await using var server = await FakeHttpServer.StartAsync();
        server.RespondJson(200, "{}");
        var dns = new Dictionary<string, string[]> { ["hooks.example.com"] = ["8.8.8.8"] };
        var url = new Uri($"http://hooks.example.com:{new Uri(server.Url).Port}/tom");
        Assert.Null(await new WebhookAddressGuard(new FakeDns(dns)).HostProblemAsync(url, allowPrivateNetworks: false, CancellationToken.None));

        dns["hooks.example.com"] = ["8.8.8.8", "127.0.0.1"];
        using var client = new HttpClient(WebhookHttpHandler.Create(allowPrivateNetworks: false, ConnectTimeout, new FakeDns(dns)));
        var ex = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync(url, new StringContent("{}")));

        Assert.Contains("hooks.example.com resolves to 127.0.0.1", Refusal(ex).Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Requests);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::ffff:127.0.0.1")] // an IPv4-mapped answer is connected to as IPv4
    public async Task The_handler_connects_to_the_address_it_resolved_not_to_the_name_again(string answer)
    {
        // The name exists only in the injected resolver: reaching the server shows the socket went to that answer.
        await using var server = await FakeHttpServer.StartAsync();
        server.Handler = context =>
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        };
        var resolver = new FakeDns(new() { ["hooks.invalid"] = [answer] });
        using var client = new HttpClient(WebhookHttpHandler.Create(allowPrivateNetworks: true, ConnectTimeout, resolver));

        using var response = await client.PostAsync($"http://hooks.invalid:{new Uri(server.Url).Port}/", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task The_handler_refuses_a_name_that_does_not_resolve()
    {
        using var client = new HttpClient(WebhookHttpHandler.Create(allowPrivateNetworks: true, ConnectTimeout, new FakeDns(new())));

        var ex = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync("http://nowhere.invalid/", new StringContent("{}")));

        Assert.Equal("webhook host nowhere.invalid does not resolve", Refusal(ex).Message);
    }

    [Fact]
    public async Task A_redirect_is_returned_as_it_is_and_not_followed()
    {
        await using var target = await FakeHttpServer.StartAsync();
        target.RespondJson(200, "{}");
        await using var server = await FakeHttpServer.StartAsync();
        server.Handler = context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = target.Url + "/elsewhere";
            return Task.CompletedTask;
        };
        using var client = new HttpClient(WebhookHttpHandler.Create(allowPrivateNetworks: true, ConnectTimeout));

        using var response = await client.PostAsync(server.Url + "/hook", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(1, server.Requests);
        Assert.Equal(0, target.Requests);
    }

    [Fact]
    public async Task A_response_of_one_megabyte_is_read_up_to_the_cap_and_marked_truncated()
    {
        const int Cap = 64 * 1024;
        await using var server = await FakeHttpServer.StartAsync();
        server.Handler = context => context.Response.Body.WriteAsync(new byte[1024 * 1024]).AsTask();
        using var client = new HttpClient(WebhookHttpHandler.Create(allowPrivateNetworks: true, ConnectTimeout));

        using var response = await client.GetAsync(server.Url, HttpCompletionOption.ResponseHeadersRead);
        var (body, truncated) = await WebhookHttpHandler.ReadCappedAsync(response.Content, Cap, CancellationToken.None);

        Assert.Equal(Cap, body.Length);
        Assert.True(truncated);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(64 * 1024)] // exactly the cap is all of it
    public async Task A_response_within_the_cap_is_read_whole(int size)
    {
        var sent = Enumerable.Range(0, size).Select(i => (byte)i).ToArray();
        using var content = new ByteArrayContent(sent);

        var (body, truncated) = await WebhookHttpHandler.ReadCappedAsync(content, 64 * 1024, CancellationToken.None);

        Assert.Equal(sent, body);
        Assert.False(truncated);
    }

    [Fact]
    public void The_handler_follows_no_redirects_and_uses_no_cookies_proxy_or_decompression()
    {
        using var handler = WebhookHttpHandler.Create(allowPrivateNetworks: false, ConnectTimeout);

        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseCookies);
        Assert.False(handler.UseProxy);
        Assert.Equal(DecompressionMethods.None, handler.AutomaticDecompression);
        Assert.Equal(ConnectTimeout, handler.ConnectTimeout);
        Assert.True(handler.PooledConnectionLifetime > TimeSpan.Zero && handler.PooledConnectionLifetime <= TimeSpan.FromMinutes(5));
        Assert.NotNull(handler.ConnectCallback);
    }

    private static string UrlOn(FakeHttpServer server, string host) => $"http://{host}:{new Uri(server.Url).Port}/hook";

    /// <summary>The refusal inside the handler's failure (SocketsHttpHandler wraps what the connect callback throws).</summary>
    private static WebhookAddressRefusedException Refusal(Exception ex)
    {
        for (Exception? current = ex; current is not null; current = current.InnerException)
        {
            if (current is WebhookAddressRefusedException refusal)
            {
                return refusal;
            }
        }
        throw new Xunit.Sdk.XunitException($"no WebhookAddressRefusedException in {ex}");
    }
}

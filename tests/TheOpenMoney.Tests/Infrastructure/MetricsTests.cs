using System.Net.Http.Headers;
using TheOpenMoney.Api.Infrastructure.Observability;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// The metrics an operator pages on, scraped as Prometheus text from <c>/metrics</c> on the management
/// port after a day's worth of events (a paid order, a failed delivery, a quarantined row, a forged push,
/// a rate-limited address), and never served on the partner port.
/// </summary>
public sealed class MetricsTests(MetricsTests.Factory factory) : IClassFixture<MetricsTests.Factory>
{
    public sealed class Factory : PaymentsFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Management:Urls"] = "http://127.0.0.1:0";
            settings["RateLimiting:FailedAuthPerIpPerMinute"] = "1";
        }
    }

    private async Task<string> ScrapeAsync()
    {
        var management = factory.Services.GetRequiredService<ManagementServer>().Urls.Single();
        using var client = new HttpClient();
        var response = await client.GetAsync(management + "/metrics");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task The_management_port_serves_the_business_metrics_and_the_partner_port_does_not()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var order = await partner.CreatedStarsOrderAsync();
        await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());
        await factory.RawDepositAsync("{\"tx_hash\":\"metrics-garbage\",\"amount\":\"abc\"}");
        await factory.PollAsync();
        Assert.Equal("paid", (await (await partner.Client.GetAsync($"/api/v1/orders/{order.GetProperty("id").GetInt64()}")).AssertOkAsync()).GetProperty("status").GetString());

        // A simulated top-up of the same partner's test twin: counted apart (mode="test"), never as live TON.
        var test = await PartnerApi.CreateTestAsync(factory, (await (await partner.Client.GetAsync("/api/v1/partner")).AssertOkAsync()).GetProperty("telegram_user_id").GetInt64());
        await (await test.Client.PostAsync("/api/v1/sandbox/balance/topup", new StringContent("""{"amount_ton": 3}""", System.Text.Encoding.UTF8, "application/json"))).AssertOkAsync();

        await partner.CreditAsync(5m, "metrics");
        var refused = await (await partner.CreateStarsAsync(username: "failing_user", method: "balance")).AssertOkAsync();
        var failed = await Delivery.DeliverAsync(factory, partner, refused.GetProperty("id").GetInt64());
        Assert.Equal("failed", failed.GetProperty("status").GetString());

        using (var push = new HttpRequestMessage(HttpMethod.Post, "/internal/processor/webhook") { Content = new StringContent("{\"tx_hash\":\"forged-metrics\"}", System.Text.Encoding.UTF8, "application/json") })
        {
            push.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PaymentsFactory.WebhookToken);
            await (await factory.CreateClient().SendAsync(push)).AssertOkAsync();
        }

        var stranger = factory.CreateClient("osk_" + new string('M', 43));
        await stranger.GetAsync("/api/v1/partner");
        await (await stranger.GetAsync("/api/v1/partner")).AssertErrorAsync(429, TheOpenMoney.Api.Infrastructure.Errors.ErrorCodes.RateLimited);

        var text = await ScrapeAsync();

        string[] expected =
        [
            "tom_deposits_applied_total{",
            "mode=\"live\"",
            "kind=\"topup\",mode=\"test\"",
            "kind=\"order_payment\"",
            "tom_deposits_quarantined_total",
            "tom_deposits_matching_lag_seconds_bucket",
            "tom_poll_cursor_age_seconds",
            "tom_orders_transitions_total{",
            "from=\"pending_payment\",",
            "to=\"paid\"",
            "tom_fulfillment_failures_total{",
            "outcome=\"permanent\"",
            "tom_fulfillment_refunds_total",
            "tom_webhook_deposits_total{",
            "status=\"unknown\"",
            "tom_rate_limit_rejections_total{",
            "limit=\"failed_auth\"",
            "http_server_request_duration_seconds_bucket",
            "http_client_request_duration_seconds_bucket",
            "db_client_",
            "dotnet_",
        ];
        foreach (var line in expected)
        {
            Assert.True(text.Contains(line, StringComparison.Ordinal), $"'{line}' is not in the scrape:\n{text[..Math.Min(text.Length, 6000)]}");
        }

        Assert.DoesNotContain(PaymentsFactory.WebhookToken, text, StringComparison.Ordinal);
        var partnerPort = await factory.CreateClient().GetAsync("/metrics");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, partnerPort.StatusCode);
    }

    [Fact]
    public async Task Webhook_host_names_never_become_metric_labels()
    {
        // The attempts as the instrument records them (what the exporter turns into labels), read in-process: a scrape of
        // tom_webhooks_attempts_total waited 60 s in vain once in a full run (this process hosts many APIs whose meters
        // share names), while the attempt had been made.
        var attemptTags = new System.Collections.Concurrent.ConcurrentQueue<string[]>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Api.Webhooks.WebhookMetrics.MeterName && instrument.Name == "tom.webhooks.attempts")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) => attemptTags.Enqueue([.. tags.ToArray().Select(t => $"{t.Key}={t.Value}")]));
        listener.Start();

        await using var receiver = await Webhooks.WebhookReceiver.StartAsync();
        var partner = await PartnerApi.CreateAsync(factory);
        // A refused name (looked up, does not resolve) and a delivered one (localhost: looked up, connected to).
        await partner.Client.PutAsync("/api/v1/webhook", new StringContent("""{"url": "https://label-probe-q7x.invalid/hooks"}""", Encoding.UTF8, "application/json"));
        var local = receiver.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        await (await partner.Client.PutAsync("/api/v1/webhook", new StringContent($$"""{"url": "{{local}}"}""", Encoding.UTF8, "application/json"))).AssertOkAsync();
        await (await partner.Client.PostAsync("/api/v1/webhook/test", null)).AssertOkAsync();
        await receiver.WaitForAsync(r => r.Type == "ping", 1, "the ping to localhost");

        await Eventually.WaitAsync(() => Task.FromResult(attemptTags.ToArray()), all => all.Any(t => t.Contains("outcome=delivered")), "the delivered attempt counted", 60);
        Assert.All(attemptTags, tags => Assert.All(tags, tag => Assert.StartsWith("outcome=", tag, StringComparison.Ordinal)));

        // The lookups are exported (the scrape is cached briefly: wait for a fresh one holding them). The DNS histogram is
        // the process's System.Net meter; a lookup made here too, through the resolver the webhooks use, keeps its presence
        // from hanging on when the app's own lookups ran.
        var text = await Eventually.WaitAsync(
            async () =>
            {
                await Api.Webhooks.SystemDnsResolver.Instance.ResolveAsync("localhost", CancellationToken.None);
                return await ScrapeAsync();
            },
            t => t.Contains("dns_lookup_duration", StringComparison.Ordinal),
            "the DNS lookups counted",
            60);

        Assert.DoesNotContain("label-probe-q7x", text, StringComparison.Ordinal);
        Assert.DoesNotContain("dns_question_name", text, StringComparison.Ordinal);
        Assert.DoesNotContain("server_address=\"localhost\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost", string.Join(",", attemptTags.SelectMany(t => t)), StringComparison.Ordinal);
    }
}

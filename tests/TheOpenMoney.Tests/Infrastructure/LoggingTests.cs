namespace TheOpenMoney.Tests.Infrastructure;

public sealed class LoggingTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Requests_are_logged_with_method_path_status_and_partner_but_never_a_secret()
    {
        var key = await factory.IssueKeyAsync(TestPartners.NextTelegramUserId());
        await factory.CreateClient(key.Plaintext).GetAsync("/api/v1/partner?secret_query=1");
        await factory.CreateClient(key.Plaintext).GetAsync("/api/v1/_test/boom");
        var wrong = "osk_" + new string('Z', 43);
        await factory.CreateClient(wrong).GetAsync("/api/v1/partner");

        var lines = factory.Logs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("HTTP GET /api/v1/partner responded 200", StringComparison.Ordinal)
                                    && l.Contains($"PartnerId={key.PartnerId}", StringComparison.Ordinal)
                                    && l.Contains("Elapsed=", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("HTTP GET /api/v1/partner responded 401", StringComparison.Ordinal));
        foreach (var secret in new[] { key.Plaintext, wrong, ApiFactory.Pepper, "Bearer osk_", "secret_query" })
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }
}

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// Every answer that carries a TON amount carries its exact nanoTON twin beside it (orders, lists, the balance,
/// the ledger, stats, fees, estimates, and the orders and ledger rows inside events), made from the stored
/// nanoTON: the decimal × 10⁹ is the twin, digit for digit.
/// </summary>
public sealed class MoneyTwinsInResponsesTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Every_ton_amount_in_every_answer_has_its_exact_twin()
    {
        var partner = await PartnerApi.CreateAsync(factory, 73_001);
        await partner.CreditAsync(10.123456789m, "twins-credit");
        var stars = await partner.CreatedStarsOrderAsync(quantity: 777, reference: "twins");
        var premium = await (await partner.CreatePremiumAsync(months: 6, method: "balance")).AssertOkAsync();
        var cancelled = await (await partner.CancelAsync(stars.GetProperty("id").GetInt64())).AssertOkAsync();

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var answer in new[]
        {
            stars,
            premium,
            cancelled,
            await (await partner.Client.GetAsync($"/api/v1/orders/{premium.GetProperty("id").GetInt64()}")).AssertOkAsync(),
            await (await partner.Client.GetAsync("/api/v1/orders")).AssertOkAsync(),
            await (await partner.Client.GetAsync("/api/v1/orders/by-reference/twins")).AssertOkAsync(),
            await (await partner.Client.GetAsync($"/api/v1/orders/by-memo/{stars.GetProperty("payment_memo").GetString()}")).AssertOkAsync(),
            await (await partner.Client.GetAsync("/api/v1/orders/stats/summary")).AssertOkAsync(),
            await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync(),
            await (await partner.Client.GetAsync("/api/v1/balance/transactions")).AssertOkAsync(),
            await (await partner.Client.GetAsync("/api/v1/pricing/fee")).AssertOkAsync(),
            await (await partner.Client.GetAsync("/api/v1/pricing/estimate/stars?quantity=777")).AssertOkAsync(),
            await Eventually.WaitAsync(
                async () => await (await partner.Client.GetAsync("/api/v1/events?limit=100")).AssertOkAsync(),
                page => page.GetProperty("items").EnumerateArray().Any(e => e.GetProperty("type").GetString() == "order.cancelled")
                    && page.GetProperty("items").EnumerateArray().Any(e => e.GetProperty("type").GetString() == "balance.debited"),
                "the order and balance events"),
        })
        {
            seen.UnionWith(MoneyTwins.AssertExact(answer));
        }

        Assert.Superset(
            new HashSet<string>(["price_ton", "paid_ton", "refunded_ton", "late_paid_ton", "balance_ton", "amount_ton", "balance_after_ton", "ton_received", "ton_spent", "ton_refunded", "ton_rounding_step"]),
            seen);
        var balance = await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync();
        Assert.Equal(
            10_123_456_789 - long.Parse(premium.GetProperty("price_nanoton").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(balance.GetProperty("balance_nanoton").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }
}

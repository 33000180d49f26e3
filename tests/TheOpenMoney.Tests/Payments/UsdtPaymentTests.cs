using System.Net.Http.Headers;
using TheOpenMoney.Simulators;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// USDT on TON, end to end on a real PostgreSQL with the real processor simulator (which keeps TON and USDT apart, as
/// the processor does): a USDT order is quoted in USDT and paid by a USDT deposit with its memo (poller and webhook);
/// short, over and late USDT payments credit the USDT balance; a USDT top-up funds a USDT balance order; USDT sent with
/// a TON order's memo never pays it (nor TON a USDT order's); and money never crosses currencies in the ledger.
/// </summary>
public sealed class UsdtPaymentTests(UsdtPaymentTests.Factory factory) : IClassFixture<UsdtPaymentTests.Factory>
{
    private const string Master = "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs";

    public sealed class Factory : PaymentsFactory;

    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory);

    private static async Task<JsonElement> CreateAsync(PartnerApi partner, string currency, string method = "ton_memo", int quantity = 100) =>
        await (await partner.PostJsonAsync(
            "/api/v1/orders/stars",
            JsonSerializer.Serialize(new { recipient_username = "pandus", quantity, payment_method = method, payment_currency = currency }))).AssertOkAsync();

    private static async Task<JsonElement> GetOrderAsync(PartnerApi partner, long id) =>
        await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();



    private DepositRecord Usdt(long units, string? comment, string userId = "orders", string? address = null) =>
        factory.Processor.InjectDeposit(new DepositInjection
        {
            UserId = address is null ? userId : null,
            DepositAddress = address,
            Currency = ProcessorCurrencies.Usdt,
            Amount = units,
            Comment = comment,
            SourceAddress = "UQAUuul9LdYcyJuBHernHo3JkbWTduH_FuEb2H8jCDdGeqzA",
        });

    private Task<JsonElement> PushAsync(DepositRecord deposit) => PushAsync(factory, deposit);

    /// <summary>The processor's webhook push of <paramref name="deposit"/> (with the right token), answered 200.</summary>
    internal static async Task<JsonElement> PushAsync(PaymentsFactory factory, DepositRecord deposit)
    {
        var body = JsonSerializer.Serialize(new { deposit_address = deposit.DepositAddress, time = deposit.Time, amount = deposit.Amount.ToString(), user_id = "orders", tx_hash = deposit.TxHash, comment = deposit.Comment });
        var request = new HttpRequestMessage(HttpMethod.Post, "/internal/processor/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PaymentsFactory.WebhookToken);
        return await (await factory.CreateClient().SendAsync(request)).AssertOkAsync();
    }

    [Fact]
    public async Task A_usdt_order_is_quoted_in_usdt_with_a_jetton_link_and_no_ton_connect_request()
    {
        var partner = await NewPartnerAsync();
        var ton = await CreateAsync(partner, "TON");

        var order = await CreateAsync(partner, "USDT");

        Assert.Equal("USDT", order.GetProperty("payment_currency").GetString());
        var priceUsd = order.GetProperty("price_usd").GetDecimal();
        var priceUsdt = order.GetProperty("price_usdt").GetDecimal();
        Assert.Equal(decimal.Ceiling(priceUsd * 100m) / 100m, priceUsdt);
        Assert.Equal((long)(priceUsdt * 1_000_000m), order.UnitsOf("price_usdt_units"));
        Assert.Equal(ton.GetProperty("price_ton").GetDecimal(), order.GetProperty("price_ton").GetDecimal());
        Assert.Equal("0", order.GetProperty("paid_usdt_units").GetString());
        Assert.Equal(0m, order.GetProperty("paid_ton").GetDecimal());
        var address = order.GetProperty("payment_address").GetString()!;
        Assert.NotEqual(ton.GetProperty("payment_address").GetString(), address);
        Assert.Contains((address, ProcessorCurrencies.Usdt), factory.Processor.GetAddressesWithCurrency("orders"));
        Assert.Equal(
            $"ton://transfer/{address}?jetton={Master}&amount={order.UnitsOf("price_usdt_units")}&text={order.GetProperty("payment_memo").GetString()}",
            order.GetProperty("payment_link").GetString());
        Assert.Equal(JsonValueKind.Null, order.GetProperty("payment_request").ValueKind);
        // A TON order carries none of the USDT fields: its answer is what it always was.
        Assert.False(ton.TryGetProperty("price_usdt", out _));
        Assert.False(ton.TryGetProperty("paid_usdt_units", out _));

        var qr = await partner.Client.GetAsync($"/api/v1/orders/{order.GetProperty("id").GetInt64()}/payment-qr");
        Assert.Equal(System.Net.HttpStatusCode.OK, qr.StatusCode);
    }

    [Fact]
    public async Task A_usdt_deposit_with_the_memo_pays_the_order_through_the_poller_and_it_completes()
    {
        var partner = await NewPartnerAsync();
        var order = await CreateAsync(partner, "USDT");
        var id = order.GetProperty("id").GetInt64();

        var deposit = Usdt(order.UnitsOf("price_usdt_units"), order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        var paid = await GetOrderAsync(partner, id);
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        Assert.Equal(order.GetProperty("price_usdt_units").GetString(), paid.GetProperty("paid_usdt_units").GetString());
        Assert.Equal(deposit.TxHash, paid.GetProperty("payment_tx_hash").GetString());
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND currency = 'USDT' AND kind = 'order_payment'", deposit.TxHash));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM processor_cursors WHERE processor_user_id = 'orders' AND currency = 'USDT'"));
        var completed = await Delivery.DeliverAsync(factory, partner, id);
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal(0m, await partner.BalanceTonAsync());
    }

    [Fact]
    public async Task Stats_sum_each_currency_apart_and_say_nothing_of_usdt_without_a_usdt_order()
    {
        var tonOnly = await NewPartnerAsync();
        await CreateAsync(tonOnly, "TON");
        var tonStats = await (await tonOnly.Client.GetAsync("/api/v1/orders/stats/summary")).AssertOkAsync();
        Assert.False(tonStats.TryGetProperty("usdt_received", out _));
        Assert.False(tonStats.TryGetProperty("usdt_spent_units", out _));

        var partner = await NewPartnerAsync();
        var ton = await CreateAsync(partner, "TON");
        var usdt = await CreateAsync(partner, "USDT");
        factory.Processor.InjectDeposit(new DepositInjection { UserId = "orders", Amount = ton.UnitsOf("price_nanoton"), Comment = ton.GetProperty("payment_memo").GetString() });
        Usdt(usdt.UnitsOf("price_usdt_units"), usdt.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        var stats = await (await partner.Client.GetAsync("/api/v1/orders/stats/summary")).AssertOkAsync();
        Assert.Equal(2, stats.GetProperty("total_orders").GetInt64());
        Assert.Equal(ton.GetProperty("price_nanoton").GetString(), stats.GetProperty("nanoton_received").GetString());
        Assert.Equal(ton.GetProperty("price_nanoton").GetString(), stats.GetProperty("nanoton_spent").GetString());
        Assert.Equal(usdt.UnitsOf("price_usdt_units"), stats.UnitsOf("usdt_spent_units"));
        Assert.Equal(usdt.UnitsOf("price_usdt_units"), stats.UnitsOf("usdt_received_units"));
        Assert.Equal(stats.GetProperty("usdt_spent").GetDecimal(), usdt.GetProperty("price_usdt").GetDecimal());
        Assert.Equal("0", stats.GetProperty("usdt_refunded_units").GetString());
    }

    [Fact]
    public async Task A_usdt_deposit_pushed_by_the_webhook_pays_the_order_once()
    {
        var partner = await NewPartnerAsync();
        var order = await CreateAsync(partner, "USDT", quantity: 250);
        var deposit = Usdt(order.UnitsOf("price_usdt_units"), order.GetProperty("payment_memo").GetString());

        var pushed = await PushAsync(deposit);
        var again = await PushAsync(deposit);
        await factory.PollAsync();

        Assert.Equal("applied", pushed.GetProperty("status").GetString());
        Assert.Equal("order_payment", pushed.GetProperty("kind").GetString());
        Assert.Equal("known", again.GetProperty("status").GetString());
        Assert.Equal("paid", (await GetOrderAsync(partner, order.GetProperty("id").GetInt64())).GetProperty("status").GetString());
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND currency = 'USDT'", deposit.TxHash));
    }

    [Fact]
    public async Task Short_over_and_late_usdt_payments_credit_the_usdt_balance_and_never_the_ton_one()
    {
        var partner = await NewPartnerAsync();
        var shortOrder = await CreateAsync(partner, "USDT");
        var overOrder = await CreateAsync(partner, "USDT");
        var lateOrder = await CreateAsync(partner, "USDT");
        var price = shortOrder.UnitsOf("price_usdt_units");

        Usdt(price - 10_000, shortOrder.GetProperty("payment_memo").GetString());
        Usdt(price + 2_500_000, overOrder.GetProperty("payment_memo").GetString());
        await (await partner.CancelAsync(lateOrder.GetProperty("id").GetInt64())).AssertOkAsync();
        Usdt(3_000_000, lateOrder.GetProperty("payment_memo").GetString());
        await factory.PollAsync();
        var cancelled = await (await partner.CancelAsync(shortOrder.GetProperty("id").GetInt64())).AssertOkAsync();

        Assert.Equal((price - 10_000).ToString(System.Globalization.CultureInfo.InvariantCulture), cancelled.GetProperty("refunded_usdt_units").GetString());
        Assert.Equal("paid", (await GetOrderAsync(partner, overOrder.GetProperty("id").GetInt64())).GetProperty("status").GetString());
        Assert.Equal("3000000", (await GetOrderAsync(partner, lateOrder.GetProperty("id").GetInt64())).GetProperty("late_paid_usdt_units").GetString());
        var usdt = await partner.BalanceInAsync("USDT");
        Assert.Equal(price - 10_000 + 2_500_000 + 3_000_000, usdt.UnitsOf("amount_units"));
        Assert.Equal(0m, await partner.BalanceTonAsync());
        var ledger = await (await partner.Client.GetAsync("/api/v1/balance/transactions?currency=USDT")).AssertOkAsync();
        Assert.Equal(["underpayment", "overpayment", "late_payment"], ledger.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("type").GetString()!).Order().Reverse().ToArray());
        Assert.All(ledger.GetProperty("items").EnumerateArray(), r =>
        {
            Assert.Equal("USDT", r.GetProperty("currency").GetString());
            Assert.Equal("0", r.GetProperty("amount_nanoton").GetString());
        });
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task A_usdt_top_up_funds_a_usdt_balance_order_and_leaves_ton_alone()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(5m, "usdt-test-ton");
        var topup = (await partner.BalanceInAsync("USDT")).GetProperty("topup_address").GetString()!;
        Assert.NotEqual((await partner.BalanceInAsync("TON")).GetProperty("topup_address").GetString(), topup);
        Assert.Equal(409, (int)(await partner.PostJsonAsync(
            "/api/v1/orders/stars", """{"recipient_username":"pandus","quantity":100,"payment_method":"balance","payment_currency":"USDT"}""")).StatusCode);

        Usdt(50_000_000, comment: null, address: topup);
        await factory.PollAsync();
        var order = await CreateAsync(partner, "USDT", method: "balance");

        Assert.Equal("paid", order.GetProperty("status").GetString());
        Assert.Equal(50_000_000 - order.UnitsOf("price_usdt_units"), (await partner.BalanceInAsync("USDT")).UnitsOf("amount_units"));
        Assert.Equal(5m, await partner.BalanceTonAsync());
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Fact]
    public async Task Usdt_with_a_ton_orders_memo_never_pays_it_and_ton_never_pays_a_usdt_order()
    {
        var partner = await NewPartnerAsync();
        var tonOrder = await CreateAsync(partner, "TON");
        var usdtOrder = await CreateAsync(partner, "USDT");

        // USDT as large as the TON price in nanoTON (1,500 USDT would be "1.5 TON" read the wrong way).
        var usdt = Usdt(tonOrder.UnitsOf("price_nanoton"), tonOrder.GetProperty("payment_memo").GetString());
        var pushed = await PushAsync(usdt);
        var ton = await factory.DepositAsync(100m, usdtOrder.GetProperty("payment_memo").GetString());
        await factory.PollAsync();

        Assert.Equal("late_payment", pushed.GetProperty("kind").GetString());
        Assert.Equal("pending_payment", (await GetOrderAsync(partner, tonOrder.GetProperty("id").GetInt64())).GetProperty("status").GetString());
        var usdtAfter = await GetOrderAsync(partner, usdtOrder.GetProperty("id").GetInt64());
        Assert.Equal("pending_payment", usdtAfter.GetProperty("status").GetString());
        Assert.Equal("0", usdtAfter.GetProperty("paid_usdt_units").GetString());
        Assert.Equal(tonOrder.UnitsOf("price_nanoton"), (await partner.BalanceInAsync("USDT")).UnitsOf("amount_units"));
        Assert.Equal(100m, await partner.BalanceTonAsync());
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT late_paid_nanoton + paid_nanoton FROM orders WHERE id = $1", tonOrder.GetProperty("id").GetInt64()));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE tx_hash = $1 AND currency = 'TON' AND type = 'late_payment'", ton));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger WHERE tx_hash = $1 AND currency = 'USDT' AND type = 'late_payment'", usdt.TxHash));
        await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
    }

    [Theory]
    [InlineData("""{"recipient_username":"pandus","quantity":100,"payment_currency":"usdt"}""", "payment_currency must be TON or USDT")]
    [InlineData("""{"recipient_username":"pandus","quantity":100,"payment_currency":"USDT "}""", "payment_currency must be TON or USDT")]
    [InlineData("""{"recipient_username":"pandus","quantity":100,"payment_currency":"USD\u0000T"}""", "payment_currency must be TON or USDT")]
    [InlineData("""{"recipient_username":"pandus","quantity":100,"payment_currency":7}""", null)]
    [InlineData("""{"recipient_username":"pandus","quantity":100,"payment_currency":"USDT","payment_method":"tonramp"}""", "payment_method tonramp is paid in TON only")]
    public async Task A_bad_payment_currency_is_422_and_makes_no_order(string body, string? message)
    {
        var partner = await NewPartnerAsync();

        var response = await partner.PostJsonAsync("/api/v1/orders/stars", body);

        var error = await response.AssertErrorAsync(422, "VALIDATION_ERROR");
        if (message is not null)
        {
            Assert.Contains(message, error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, await Db.OrderCountAsync(factory, partner.PartnerId));
    }

    [Fact]
    public async Task A_seeded_mix_of_ton_and_usdt_deposits_keeps_every_base_unit_in_its_own_currency()
    {
        var random = new Random(20_261_207);
        var partners = new List<PartnerApi>();
        var topups = new List<(string Currency, string Address)>();
        for (var i = 0; i < 3; i++)
        {
            var partner = await NewPartnerAsync();
            partners.Add(partner);
            topups.Add(("TON", (await partner.BalanceInAsync("TON")).GetProperty("topup_address").GetString()!));
            topups.Add(("USDT", (await partner.BalanceInAsync("USDT")).GetProperty("topup_address").GetString()!));
        }

        var orders = new List<(string Currency, string Memo, long Price)>();
        for (var i = 0; i < 24; i++)
        {
            var currency = random.Next(2) == 0 ? "TON" : "USDT";
            var order = await CreateAsync(partners[random.Next(partners.Count)], currency, quantity: random.Next(50, 2000));
            orders.Add((currency, order.GetProperty("payment_memo").GetString()!, order.UnitsOf(currency == "TON" ? "price_nanoton" : "price_usdt_units")));
        }

        for (var i = 0; i < 90; i++)
        {
            var inUsdt = random.Next(2) == 0;
            var (_, memo, price) = orders[random.Next(orders.Count)];
            var units = random.Next(4) switch
            {
                0 => price,
                1 => Math.Max(1, price / 2),
                2 => price + random.Next(1, 1_000_000),
                _ => random.Next(1, 5_000_000),
            };
            string? comment = random.Next(6) == 0 ? "NO-SUCH-MEMO" : memo;
            if (random.Next(5) == 0)
            {
                var (currency, address) = topups[random.Next(topups.Count)];
                inUsdt = currency == "USDT";
                if (inUsdt)
                {
                    Usdt(units, null, address: address);
                }
                else
                {
                    await factory.DepositAsync(units / 1_000_000_000m, address: address);
                }
            }
            else if (inUsdt)
            {
                Usdt(units, comment);
            }
            else
            {
                // TON amounts to the nanoTON, so a USDT-sized price is a small TON payment.
                await factory.DepositAsync(units / 1_000_000_000m, comment);
            }
        }

        await factory.PollAsync();

        // Every base unit of every deposit is in exactly one place, in the deposit's own currency.
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE applied_at IS NULL"));
        Assert.Equal(0, await Db.ScalarAsync(
            factory,
            "SELECT count(*) FROM (SELECT currency, sum(amount_nanoton) a, sum(order_nanoton + credited_nanoton + unmatched_nanoton + refunded_nanoton + refund_fee_nanoton) s FROM deposits GROUP BY currency) t WHERE a <> s"));
        // An order is paid only by deposits of its currency, and exactly by them.
        Assert.Equal(0, await Db.ScalarAsync(
            factory,
            "SELECT count(*) FROM deposits d JOIN orders o ON o.id = d.order_id WHERE d.currency <> o.payment_currency AND d.order_nanoton <> 0"));
        Assert.Equal(0, await Db.ScalarAsync(
            factory,
            """
            SELECT count(*) FROM orders o
             WHERE o.payment_method = 'ton_memo'
               AND o.paid_nanoton <> (SELECT coalesce(sum(d.order_nanoton), 0) FROM deposits d WHERE d.order_id = o.id AND d.currency = o.payment_currency)
            """));
        // A deposit's credit is a ledger row of its currency, of exactly what it credited.
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM balance_ledger l JOIN deposits d ON d.id = l.deposit_id WHERE l.currency <> d.currency"));
        Assert.Equal(0, await Db.ScalarAsync(
            factory,
            "SELECT count(*) FROM deposits d WHERE d.credited_nanoton <> (SELECT coalesce(sum(l.amount_nanoton), 0) FROM balance_ledger l WHERE l.deposit_id = d.id)"));
        Assert.True(await Db.ScalarAsync(factory, "SELECT count(DISTINCT currency) FROM deposits WHERE kind = 'late_payment'") == 2);
        foreach (var partner in partners)
        {
            await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
        }
    }

    [Theory]
    [InlineData("usdt")]
    [InlineData("USDT%00")]
    [InlineData("%0D%0AUSDT")]
    [InlineData("7")]
    [InlineData("BTC")]
    public async Task A_bad_ledger_currency_filter_is_422(string currency)
    {
        var partner = await NewPartnerAsync();

        var error = await (await partner.Client.GetAsync($"/api/v1/balance/transactions?currency={currency}")).AssertErrorAsync(422, "VALIDATION_ERROR");

        Assert.Contains("currency must be one of TON, USDT", error.GetProperty("error_message").GetString(), StringComparison.Ordinal);
        var oversize = await partner.Client.GetAsync("/api/v1/balance/transactions?currency=" + new string('U', 5000));
        Assert.True((int)oversize.StatusCode is >= 400 and < 500, $"oversize currency answered {(int)oversize.StatusCode}");
    }

    [Fact]
    public async Task A_usdt_deposit_is_never_refunded_in_ton()
    {
        var unmatched = Usdt(7_000_000, "no such memo");
        await PushAsync(unmatched);
        var depositId = await Db.ScalarAsync(factory, "SELECT id FROM deposits WHERE tx_hash = $1 AND kind = 'unmatched' AND currency = 'USDT'", unmatched.TxHash);
        Assert.NotEqual(0, depositId);

        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.ExecuteAsync(
            factory,
            """
            INSERT INTO withdrawals (kind, deposit_id, status, amount_nanoton, fee_nanoton, destination, query_id, created_at, updated_at)
            VALUES ('refund', $1, 'pending', 1000, 0, 'UQAUuul9LdYcyJuBHernHo3JkbWTduH_FuEb2H8jCDdGeqzA', 'refund-usdt-test', now(), now())
            """,
            depositId));
        Assert.Equal("23514", refused.SqlState);
    }
}

/// <summary>
/// With USDT off (<c>Payments:UsdtMaster</c> empty), USDT is a currency we do not take: no USDT order, no USDT balance,
/// and a pushed USDT deposit with an order's memo is held for operators, never applied as TON, and a retry refuses it.
/// </summary>
public sealed class UsdtOffTests(UsdtOffTests.Factory factory) : IClassFixture<UsdtOffTests.Factory>
{
    public sealed class Factory : PaymentsFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Payments:UsdtMaster"] = "";
        }
    }

    [Fact]
    public async Task A_usdt_push_is_held_for_good_and_usdt_orders_are_refused()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var order = await partner.CreatedStarsOrderAsync();
        await (await partner.PostJsonAsync("/api/v1/orders/stars", """{"recipient_username":"pandus","quantity":100,"payment_currency":"USDT"}"""))
            .AssertErrorAsync(422, "VALIDATION_ERROR");
        var balance = await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync();
        Assert.Equal(["TON"], balance.GetProperty("balances").EnumerateArray().Select(b => b.GetProperty("currency").GetString()!).ToArray());
        var jetton = factory.Processor.InjectDeposit(new DepositInjection
        {
            DepositAddress = factory.Processor.CreateAddress("orders", ProcessorCurrencies.Usdt),
            Currency = ProcessorCurrencies.Usdt,
            Amount = 1_500_000_000,
            Comment = order.GetProperty("payment_memo").GetString(),
        });

        var pushed = await UsdtPaymentTests.PushAsync(factory, jetton);
        await factory.PollAsync();

        Assert.Equal("quarantined", pushed.GetProperty("status").GetString());
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1", jetton.TxHash));
        var held = await Db.ScalarAsync(factory, "SELECT id FROM quarantined_deposits WHERE tx_hash = $1 AND reason LIKE '%USDT is not one of TON%'", jetton.TxHash);
        Assert.NotEqual(0, held);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var (released, message) = await scope.ServiceProvider.GetRequiredService<TheOpenMoney.Api.Payments.DepositIntake>().RetryAsync(held, CancellationToken.None);
            Assert.False(released);
            Assert.Contains("held for good", message, StringComparison.Ordinal);
        }

        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1", jetton.TxHash));
        Assert.Equal("pending_payment", (await (await partner.Client.GetAsync($"/api/v1/orders/{order.GetProperty("id").GetInt64()}")).AssertOkAsync()).GetProperty("status").GetString());
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM processor_cursors WHERE currency = 'USDT'"));
    }
}

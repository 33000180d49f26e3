using System.Net.Http.Json;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// A seeded mix of a few hundred processor rows: honest payments (memos padded with NUL and control
/// characters, any case), partial and over-payments, top-ups and unmatched transfers with hostile
/// comments (NUL, RTL overrides, emoji, 5,000 characters), garbage rows the simulator serves verbatim,
/// and database errors injected on purpose (transient ones, a few refusals, and deposits the database
/// always refuses), half of it pushed through the webhook and all of it read by the poller. At the end
/// every honest deposit is applied exactly once, every hostile one is unmatched or quarantined, every
/// nanoTON received is in exactly one place, and every balance equals its ledger.
/// </summary>
public sealed class HostileDepositMixTests(HostileDepositMixTests.Factory factory) : IClassFixture<HostileDepositMixTests.Factory>
{
    private const int Seed = 20261203;
    private const long Price = 417_000_000;

    public sealed class Factory : PaymentsFactory
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["PaymentProcessor:MaxApplyFailures"] = "3";
        }
    }

    private sealed record Honest(string TxHash, long Amount, string[] Kinds);

    private sealed record Unreadable(string Income, long? Amount);

    [Fact]
    public async Task Every_honest_deposit_is_applied_once_every_hostile_one_is_held_and_every_nanoton_is_in_one_place()
    {
        var random = new Random(Seed);
        var partners = new List<(PartnerApi Api, string Topup, List<JsonElement> Orders)>();
        for (var p = 0; p < 3; p++)
        {
            var api = await PartnerApi.CreateAsync(factory);
            var topup = (await (await api.Client.GetAsync("/api/v1/balance")).AssertOkAsync()).GetProperty("topup_address").GetString()!;
            var orders = new List<JsonElement>();
            for (var i = 0; i < 8; i++)
            {
                orders.Add(await api.CreatedStarsOrderAsync());
            }

            partners.Add((api, topup, orders));
        }

        var ordersAddress = partners[0].Orders[0].GetProperty("payment_address").GetString()!;
        await InstallFlakyTriggerAsync();

        var honest = new List<Honest>();
        var poison = new List<(string TxHash, long Amount)>();
        var unreadable = new List<Unreadable>();
        var flakyIndex = 0;

        async Task<string> SendAsync(long amount, string? comment, string? address = null, int failTimes = 0, string sqlState = "P0001")
        {
            var tx = "mix-" + Guid.NewGuid().ToString("N");
            if (failTimes > 0)
            {
                await Db.ExecuteAsync(factory, $"CREATE SEQUENCE test_flaky_{flakyIndex}");
                await Db.ExecuteAsync(factory, "INSERT INTO test_flaky (tx_hash, fail_times, sqlstate, seq) VALUES ($1, $2, $3, $4)", tx, failTimes, sqlState, $"test_flaky_{flakyIndex}");
                flakyIndex++;
            }

            await factory.DepositAsync(amount / 1_000_000_000m, comment, address: address, txHash: tx);
            return tx;
        }

        // Honest rows; some meet a transient database failure (not counted) or a couple of refusals (fewer than the limit).
        async Task HonestRowsAsync(int part)
        {
            foreach (var (api, topup, orders) in partners)
            {
                foreach (var order in orders.Skip(part * 4).Take(4))
                {
                    var memo = order.GetProperty("payment_memo").GetString()!;
                    var (failTimes, state) = random.Next(4) switch
                    {
                        0 => (random.Next(1, 5), "40001"),
                        1 => (random.Next(1, 3), "P0001"),
                        _ => (0, "P0001"),
                    };
                    switch (random.Next(3))
                    {
                        case 0:
                            honest.Add(new Honest(await SendAsync(Price, Padded(memo, random), failTimes: failTimes, sqlState: state), Price, ["order_payment"]));
                            break;
                        case 1:
                            honest.Add(new Honest(await SendAsync(200_000_000, Padded(memo, random)), 200_000_000, ["partial_payment"]));
                            honest.Add(new Honest(await SendAsync(Price - 200_000_000, Padded(memo, random), failTimes: failTimes, sqlState: state), Price - 200_000_000, ["order_payment"]));
                            break;
                        default:
                            honest.Add(new Honest(await SendAsync(500_000_000, Padded(memo, random), failTimes: failTimes, sqlState: state), 500_000_000, ["overpayment"]));
                            break;
                    }
                }

                foreach (var comment in HostileComments(random).Take(4))
                {
                    var amount = random.NextInt64(1, 3_000_000_000);
                    honest.Add(new Honest(await SendAsync(amount, comment, address: topup), amount, ["topup"]));
                }
            }

            foreach (var comment in HostileComments(random).Take(12))
            {
                var amount = random.NextInt64(1, 2_000_000_000);
                honest.Add(new Honest(await SendAsync(amount, comment, address: ordersAddress, failTimes: random.Next(3) == 0 ? 1 : 0), amount, ["unmatched"]));
            }

            // Deposits the database always refuses: quarantined after three tries, the rows after them still applied.
            for (var i = 0; i < 3; i++)
            {
                var amount = random.NextInt64(1, 1_000_000_000);
                poison.Add((await SendAsync(amount, "STARS-poison", failTimes: 1_000_000), amount));
            }
        }

        async Task UnreadableRowsAsync(bool plausibleTxHashOnly)
        {
            foreach (var (income, amount, txHash) in GarbageRows(ordersAddress, random, plausibleTxHashOnly))
            {
                await factory.RawDepositAsync(income, txHash);
                unreadable.Add(new Unreadable(income, amount));
            }
        }

        // Half through the webhook (every push must be answered 200, or the processor stops pushing)…
        await factory.EnableWebhookAsync();
        await HonestRowsAsync(0);
        await UnreadableRowsAsync(plausibleTxHashOnly: true);
        await Eventually.WaitAsync(() => Task.FromResult(factory.Processor.GetUnpushedDeposits().Count), n => n == 0, "every row to be pushed", seconds: 120);
        Assert.True(factory.Processor.WebhookEnabled, "a push was answered with something else than 200");
        (await factory.Sim.PostAsJsonAsync("/_sim/webhook", new { endpoint = (string?)null })).EnsureSuccessStatusCode();

        // …the other half for the poller alone, with rows whose tx_hash could not be pushed at all.
        await HonestRowsAsync(1);
        await UnreadableRowsAsync(plausibleTxHashOnly: false);

        var settled = false;
        for (var round = 0; round < 30 && !settled; round++)
        {
            try
            {
                await factory.PollRoundAsync();
                settled = true;
            }
            catch (Exception ex) when (ex.GetType().Name == "DepositsNotSettledException")
            {
                // Retries still under way.
            }
        }

        Assert.True(settled, "the poller should settle every row within 30 polls");
        Assert.True(honest.Count + poison.Count + unreadable.Count >= 150, $"only {honest.Count + poison.Count + unreadable.Count} rows");

        foreach (var deposit in honest)
        {
            Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND applied_at IS NOT NULL AND kind = ANY($2)", deposit.TxHash, deposit.Kinds));
            Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM quarantined_deposits WHERE tx_hash = $1 AND released_at IS NULL", deposit.TxHash));
        }

        foreach (var (txHash, _) in poison)
        {
            Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM quarantined_deposits WHERE tx_hash = $1 AND released_at IS NULL", txHash));
            Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE tx_hash = $1 AND applied_at IS NOT NULL", txHash));
        }

        foreach (var row in unreadable)
        {
            Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM quarantined_deposits WHERE raw = $1 AND released_at IS NULL", Encoding.UTF8.GetBytes(row.Income)));
        }

        // Σ received = Σ applied to orders + Σ credited + Σ unmatched + Σ quarantined.
        var received = honest.Sum(d => d.Amount) + poison.Sum(d => d.Amount) + unreadable.Sum(r => r.Amount ?? 0);
        var placed = await Db.ScalarAsync(factory, "SELECT coalesce(sum(order_nanoton + credited_nanoton + unmatched_nanoton), 0) FROM deposits WHERE applied_at IS NOT NULL");
        var quarantined = await Db.ScalarAsync(factory, "SELECT coalesce(sum(amount_nanoton), 0) FROM quarantined_deposits WHERE released_at IS NULL");
        Assert.Equal(received, placed + quarantined);
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE applied_at IS NULL"));

        foreach (var (api, _, orders) in partners)
        {
            await Db.AssertBalanceMatchesLedgerAsync(factory, api.PartnerId);
            foreach (var order in orders)
            {
                var current = await (await api.Client.GetAsync($"/api/v1/orders/{order.GetProperty("id").GetInt64()}")).AssertOkAsync();
                Assert.Equal("paid", current.GetProperty("status").GetString());
            }
        }

        // The injected failures really happened, and were survived as designed.
        Assert.Contains(factory.Logs.Lines, l => l.Contains("its connection is discarded", StringComparison.Ordinal));
        Assert.Contains(factory.Logs.Lines, l => l.Contains("in a row, database_error_P0001", StringComparison.Ordinal));

        var health = await (await factory.CreateClient().GetAsync("/api/v1/health")).AssertOkAsync();
        var processor = health.GetProperty("components").GetProperty("payment_processor").GetProperty("poller");
        Assert.Equal(poison.Count + unreadable.Count, processor.GetProperty("quarantined_deposits").GetInt64());
        Assert.Equal(JsonValueKind.Null, processor.GetProperty("last_error").ValueKind);
    }

    /// <summary>
    /// Refuses an insert into <c>deposits</c> the first <c>fail_times</c> times for the tx_hashes listed in
    /// <c>test_flaky</c>, with the given SQLSTATE. The count lives in a sequence: <c>nextval</c> is not
    /// rolled back with the refused transaction.
    /// </summary>
    private async Task InstallFlakyTriggerAsync() => await Db.ExecuteAsync(factory, """
        CREATE TABLE test_flaky (tx_hash text PRIMARY KEY, fail_times bigint NOT NULL, sqlstate text NOT NULL, seq text NOT NULL);
        CREATE FUNCTION test_flaky_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE v test_flaky;
        BEGIN
            SELECT * INTO v FROM test_flaky WHERE tx_hash = NEW.tx_hash;
            IF FOUND AND nextval(v.seq) <= v.fail_times THEN
                RAISE EXCEPTION 'injected failure' USING ERRCODE = v.sqlstate;
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER test_flaky BEFORE INSERT ON deposits FOR EACH ROW EXECUTE FUNCTION test_flaky_fail();
        """);

    /// <summary>The memo as a payer might type it: any case, white space and control characters (NUL too) around it.</summary>
    private static string Padded(string memo, Random random)
    {
        string[] pads = ["", " ", "\0", "\t\n", "\u0001 ", " \u0000\u0000", "\r\n", "\u001f"];
        var cased = new string(memo.Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray());
        return pads[random.Next(pads.Length)] + cased + pads[random.Next(pads.Length)];
    }

    private static IEnumerable<string?> HostileComments(Random random)
    {
        string[] comments =
        [
            "poison\u0000pill",
            "\u202eSTARS-a1b2c3",
            "STARS-a1b2c3 thanks",
            "\ufffd\ufffd",
            "🚀🌕 to the moon",
            new string('x', 5000),
            "\u0000",
            "\u001b[31mred\u001b[0m",
            "STARS-\u200bzero",
            "Robert'); DROP TABLE deposits;--",
            "<script>alert(1)</script>",
            "\r\n\t",
        ];
        while (true)
        {
            yield return random.Next(6) == 0 ? null : comments[random.Next(comments.Length)];
        }
    }

    /// <summary>Rows a real processor could serve that cannot be read faithfully: each has one defect.</summary>
    private static IEnumerable<(string Income, long? Amount, string? TxHash)> GarbageRows(string address, Random random, bool plausibleTxHashOnly)
    {
        string Row(string tx, string amount = "\"1000\"", string time = "1764763200", string comment = "\"hi\"", string depositAddress = "") =>
            $"{{\"deposit_address\":{(depositAddress.Length > 0 ? depositAddress : $"\"{address}\"")},\"time\":{time},\"amount\":{amount},\"comment\":{comment},\"tx_hash\":{tx}}}";

        for (var i = 0; i < 36; i++)
        {
            var txHash = "raw-" + Guid.NewGuid().ToString("N");
            var tx = $"\"{txHash}\"";
            var defect = random.Next(plausibleTxHashOnly ? 17 : 20);
            yield return defect switch
            {
                0 => (Row(tx, amount: "\"-5\""), null, txHash),
                1 => (Row(tx, amount: "\"abc\""), null, txHash),
                2 => (Row(tx, amount: "\"1e12\""), null, txHash),
                3 => (Row(tx, amount: "\"\""), null, txHash),
                4 => (Row(tx, amount: "\" 7\""), null, txHash),
                5 => (Row(tx, amount: "\"0x10\""), null, txHash),
                6 => (Row(tx, amount: "\"18446744073709551616\""), null, txHash),
                7 => (Row(tx, amount: "1000"), null, txHash),
                8 => (Row(tx, time: "9223372036854775807"), 1000, txHash),
                9 => (Row(tx, time: "-100000000000000"), 1000, txHash),
                10 => (Row(tx, time: "\"1764763200\""), 1000, txHash),
                11 => (Row(tx, comment: "\"\\ud800\""), 1000, txHash),
                12 => (Row(tx, comment: "\"a\\udc00b\""), 1000, txHash),
                13 => (Row(tx, depositAddress: $"\"{new string('U', 65)}\""), 1000, txHash),
                14 => (Row(tx, depositAddress: "\"has space\""), 1000, txHash),
                15 => ($"{{\"deposit_address\":\"{address}\",\"time\":1764763200,\"tx_hash\":{tx}}}", null, txHash),
                16 => (Row(tx, amount: "null"), null, txHash),
                // Rows without a readable tx_hash are told apart by their bytes only (identical bytes are one row listed twice).
                17 => (Row($"\"{new string('t', 129)}\"", comment: $"\"{txHash}\""), 1000, null),
                18 => (Row("42", comment: $"\"{txHash}\""), 1000, null),
                _ => (Row("\"sp ace\"", comment: $"\"{txHash}\""), 1000, null),
            };
        }
    }
}

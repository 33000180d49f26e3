using System.Globalization;
using System.Net.Http.Json;
using TheOpenMoney.Api.Ton;
using Npgsql;
using Xunit.Abstractions;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// A seeded random run: hundreds of deposits of every kind (exact, over, short then the rest, short
/// only, to cancelled orders, twice to one order, top-ups, unknown memos, no memo, repeated history
/// rows), injected in batches while the processor fails now and then and the webhook races the
/// poller. Then money goes out: unmatched deposits are refunded after the grace (some refunds failing at the
/// processor), and partners withdraw (some confirmed and sent, some cancelled, some expired, some failing at the
/// processor). Every order and balance is checked against an independent model, and the conservation
/// invariant is checked on the database: every nanoTON received is on exactly one order payment, ledger row,
/// unmatched record or refund (with its fee), and every balance equals its ledger, withdrawals and reversals included.
/// </summary>
public sealed class PaymentInvariantTests(PaymentInvariantTests.Factory factory, ITestOutputHelper output) : IClassFixture<PaymentInvariantTests.Factory>
{
    private const int Seed = 20_261_122;
    private static readonly string[] EndStatuses = ["completed", "failed"];

    private readonly Dictionary<long, long> _overpaid = [];

    public sealed class Factory : MoneyOut.MoneyOutFactory;

    private sealed class ModelOrder(long id, long partnerId, string memo, long price)
    {
        public long Id { get; } = id;

        public long PartnerId { get; } = partnerId;

        public string Memo { get; } = memo;

        public long Price { get; } = price;

        public string Status { get; set; } = "pending_payment";

        public long Paid { get; set; }

        public long Late { get; set; }

        public long Refunded { get; set; }
    }

    private sealed record Planned(decimal Ton, string? Comment, string? Address, ModelOrder? Order, long? TopupPartner = null, bool Duplicate = false, string? TxHash = null, string? Source = null);

    [Fact]
    public async Task Every_nanoton_received_ends_in_exactly_one_place()
    {
        var random = new Random(Seed);
        output.WriteLine($"seed {Seed}");
        var partners = new List<PartnerApi>();
        var topupAddress = new Dictionary<long, string>();
        for (var i = 0; i < 4; i++)
        {
            var partner = await PartnerApi.CreateAsync(factory);
            partners.Add(partner);
            topupAddress[partner.PartnerId] = (await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync()).GetProperty("topup_address").GetString()!;
        }

        var orders = new List<ModelOrder>();
        for (var i = 0; i < 120; i++)
        {
            var partner = partners[random.Next(partners.Count)];
            var order = await partner.CreatedStarsOrderAsync(quantity: random.Next(50, 3000));
            orders.Add(new ModelOrder(
                order.GetProperty("id").GetInt64(),
                partner.PartnerId,
                order.GetProperty("payment_memo").GetString()!,
                (long)(order.GetProperty("price_ton").GetDecimal() * 1_000_000_000m)));
        }

        // Some orders are cancelled before anything is paid: whatever comes for them is late.
        foreach (var order in orders.Where(_ => random.NextDouble() < 0.15))
        {
            await (await partners.Single(p => p.PartnerId == order.PartnerId).CancelAsync(order.Id)).AssertOkAsync();
            order.Status = "cancelled";
        }

        var unmatchedExpected = 0L;
        var topupExpected = partners.ToDictionary(p => p.PartnerId, _ => 0L);
        var groups = new List<List<Planned>>();
        foreach (var order in orders)
        {
            var price = order.Price / 1_000_000_000m;
            var group = random.Next(6) switch
            {
                0 => [new Planned(price, order.Memo, null, order)],
                1 => [new Planned(price + Cents(random), order.Memo, null, order)],
                2 => Split(price, random).Select(part => new Planned(part, order.Memo, null, order)).ToList(),
                3 => [new Planned(decimal.Round(price / 2, 3), order.Memo, null, order)],
                4 => [new Planned(price, order.Memo, null, order), new Planned(Cents(random), order.Memo.ToLowerInvariant(), null, order)],
                _ => new List<Planned>(),
            };
            groups.Add(group);
        }

        for (var i = 0; i < 150; i++)
        {
            var partner = partners[random.Next(partners.Count)];
            var ton = Cents(random) * random.Next(1, 40);
            groups.Add([new Planned(ton, random.NextDouble() < 0.3 ? "topup " + i : null, topupAddress[partner.PartnerId], null, partner.PartnerId)]);
        }

        for (var i = 0; i < 60; i++)
        {
            var ton = Cents(random);
            var comment = (i % 3) switch { 0 => "STARS-" + i.ToString("x6", CultureInfo.InvariantCulture), 1 => null, _ => "hello" };
            groups.Add([new Planned(ton, comment, null, null, null, Source: i % 4 == 0 ? null : MoneyOut.MoneyOutFactory.Sender)]);
        }

        var plan = Interleave(groups, random);
        // Repeated history rows: the same tx_hash listed again.
        var withTx = plan.Select((p, i) => p with { TxHash = $"{Seed:x}{i:x8}".PadLeft(64, '0') }).ToList();
        foreach (var repeat in withTx.Where(_ => random.NextDouble() < 0.08).ToList())
        {
            withTx.Insert(random.Next(withTx.IndexOf(repeat) + 1, withTx.Count + 1), repeat with { Duplicate = true });
        }

        // The model applies the deposits in history order, as the poller must.
        foreach (var deposit in withTx.Where(d => !d.Duplicate))
        {
            var nano = (long)(deposit.Ton * 1_000_000_000m);
            if (deposit.TopupPartner is { } owner)
            {
                topupExpected[owner] += nano;
            }
            else if (deposit.Order is { } order)
            {
                if (order.Status != "pending_payment")
                {
                    order.Late += nano;
                }
                else if (order.Paid + nano >= order.Price)
                {
                    _overpaid[order.Id] = _overpaid.GetValueOrDefault(order.Id) + order.Paid + nano - order.Price;
                    order.Paid = order.Price;
                    order.Status = "paid";
                }
                else
                {
                    order.Paid += nano;
                }
            }
            else
            {
                unmatchedExpected += nano;
            }
        }

        // Inject in four batches; the processor fails now and then; the webhook joins halfway.
        var batches = withTx.Chunk((withTx.Count / 4) + 1).ToList();
        for (var b = 0; b < batches.Count; b++)
        {
            if (b == 2)
            {
                await factory.EnableWebhookAsync();
            }

            var body = new
            {
                deposits = batches[b].Select(d => new Dictionary<string, object?>
                {
                    ["amount"] = ((long)(d.Ton * 1_000_000_000m)).ToString(CultureInfo.InvariantCulture),
                    ["comment"] = d.Comment,
                    ["user_id"] = d.Address is null ? "orders" : null,
                    ["deposit_address"] = d.Address,
                    ["tx_hash"] = d.TxHash,
                    ["duplicate"] = d.Duplicate,
                    ["source_address"] = d.Source,
                }),
            };
            (await factory.Sim.PostAsJsonAsync("/_sim/deposits/batch", body)).EnsureSuccessStatusCode();
            await factory.FailNextAsync(random.Next(0, 6));
            await PollQuietlyAsync();
        }

        // Orders that are still short are cancelled: what they hold goes back to the balance.
        foreach (var order in orders.Where(o => o.Status == "pending_payment" && o.Paid > 0 && random.NextDouble() < 0.5))
        {
            await WaitForAllAppliedAsync(withTx);
            await (await partners.Single(p => p.PartnerId == order.PartnerId).CancelAsync(order.Id)).AssertOkAsync();
            order.Status = "cancelled";
            order.Refunded = order.Paid;
        }

        await WaitForAllAppliedAsync(withTx);
        (await factory.Sim.PostAsJsonAsync("/_sim/webhook", new { endpoint = (string?)null })).EnsureSuccessStatusCode();

        // Each order and balance matches the model.
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        foreach (var order in orders)
        {
            var (status, paid, late, orderRefunded) = await ReadOrderAsync(connection, order.Id);
            Assert.True(
                (order.Status, order.Paid, order.Late, order.Refunded) == (status, paid, late, orderRefunded),
                $"order {order.Id}: model {(order.Status, order.Paid, order.Late, order.Refunded)}, database {(status, paid, late, orderRefunded)}");
        }

        foreach (var partner in partners)
        {
            var mine = orders.Where(o => o.PartnerId == partner.PartnerId).ToList();
            var expected = topupExpected[partner.PartnerId] + mine.Sum(o => o.Late + o.Refunded) + mine.Sum(o => _overpaid.GetValueOrDefault(o.Id));
            Assert.Equal(expected, await Db.ScalarAsync(factory, "SELECT balance_nanoton FROM partner_balances WHERE partner_id = $1", partner.PartnerId));
            await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
        }

        Assert.Equal(unmatchedExpected, await Db.ScalarAsync(factory, "SELECT coalesce(sum(unmatched_nanoton), 0) FROM deposits WHERE kind = 'unmatched'"));

        var withdrawn = await MoneyGoesOutAsync(partners, random);

        // Each balance is what came in, minus what went out for good; every balance equals its ledger.
        foreach (var partner in partners)
        {
            var mine = orders.Where(o => o.PartnerId == partner.PartnerId).ToList();
            var expected = topupExpected[partner.PartnerId] + mine.Sum(o => o.Late + o.Refunded) + mine.Sum(o => _overpaid.GetValueOrDefault(o.Id)) - withdrawn[partner.PartnerId];
            Assert.Equal(expected, await Db.ScalarAsync(factory, "SELECT balance_nanoton FROM partner_balances WHERE partner_id = $1", partner.PartnerId));
            await Db.AssertBalanceMatchesLedgerAsync(factory, partner.PartnerId);
        }

        // Conservation on the database alone: received = applied to orders + credited + unmatched kept + refunded + refund fees.
        var received = await Db.ScalarAsync(factory, "SELECT sum(amount_nanoton) FROM deposits");
        var heldByOrders = await Db.ScalarAsync(factory, "SELECT coalesce(sum(paid_nanoton - refunded_nanoton), 0) FROM orders WHERE payment_method <> 'balance'");
        var onLedger = await Db.ScalarAsync(factory, "SELECT coalesce(sum(amount_nanoton), 0) FROM balance_ledger WHERE type IN ('topup', 'overpayment', 'late_payment', 'underpayment')");
        var unmatched = await Db.ScalarAsync(factory, "SELECT coalesce(sum(unmatched_nanoton), 0) FROM deposits");
        var refunded = await Db.ScalarAsync(factory, "SELECT coalesce(sum(refunded_nanoton + refund_fee_nanoton), 0) FROM deposits");
        Assert.Equal(withTx.Where(d => !d.Duplicate).Sum(d => (long)(d.Ton * 1_000_000_000m)), received);
        Assert.Equal(received, heldByOrders + onLedger + unmatched + refunded);
        Assert.Equal(unmatchedExpected, unmatched + refunded);
        Assert.Equal(
            refunded,
            await Db.ScalarAsync(factory, "SELECT coalesce(sum(amount_nanoton + fee_nanoton), 0) FROM withdrawals WHERE kind = 'refund' AND status = 'completed'"));
        Assert.True(refunded > 0, "some unmatched deposits should have been refunded");
        // What left for partners is exactly what their ledgers hold as withdrawals not reversed.
        Assert.Equal(
            await Db.ScalarAsync(factory, "SELECT coalesce(sum(amount_nanoton + fee_nanoton), 0) FROM withdrawals WHERE kind = 'partner' AND status = 'completed'"),
            -await Db.ScalarAsync(factory, "SELECT coalesce(sum(amount_nanoton), 0) FROM balance_ledger WHERE type IN ('withdrawal', 'withdrawal_reversal')"));
        Assert.Equal(
            await Db.ScalarAsync(factory, "SELECT coalesce(sum(credited_nanoton), 0) FROM deposits"),
            await Db.ScalarAsync(factory, "SELECT coalesce(sum(amount_nanoton), 0) FROM balance_ledger WHERE deposit_id IS NOT NULL"));
        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE applied_at IS NULL"));
        output.WriteLine($"{withTx.Count} history rows, {received} nanoTON received, {unmatched} unmatched");
    }

    /// <summary>
    /// Refunds of the unmatched deposits with a sender (the grace passed; a few fail at the processor), and a few
    /// withdrawals per partner: confirmed (the same move a press of Confirm makes), cancelled, left to expire, or
    /// failed at the processor. Returns what left each partner's balance for good (amount + fee of completed ones).
    /// </summary>
    private async Task<Dictionary<long, long>> MoneyGoesOutAsync(List<PartnerApi> partners, Random random)
    {
        var withdrawn = partners.ToDictionary(p => p.PartnerId, _ => 0L);
        var confirmed = new List<(long PartnerId, long Id, long Held)>();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var lifecycle = scope.ServiceProvider.GetRequiredService<TheOpenMoney.Api.MoneyOut.WithdrawalLifecycle>();
            foreach (var partner in partners)
            {
                for (var i = 0; i < 4; i++)
                {
                    var balance = await Db.ScalarAsync(factory, "SELECT balance_nanoton FROM partner_balances WHERE partner_id = $1", partner.PartnerId);
                    var amount = decimal.Round(balance / 1_000_000_000m / 5, 3);
                    if (amount < 0.1m)
                    {
                        break;
                    }

                    var response = await partner.Client.PostAsync(
                        "/api/v1/balance/withdrawals",
                        new StringContent($$"""{"amount_ton": {{amount.ToString(CultureInfo.InvariantCulture)}}, "destination": "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29"}""", System.Text.Encoding.UTF8, "application/json"));
                    var id = (await response.AssertOkAsync()).GetProperty("id").GetInt64();
                    switch (random.Next(4))
                    {
                        case 0:
                            await (await partner.Client.PostAsync($"/api/v1/balance/withdrawals/{id}/cancel", null)).AssertOkAsync();
                            break;
                        case 1:
                            break; // left to expire
                        default:
                            Assert.Equal(TheOpenMoney.Api.MoneyOut.ConfirmOutcome.Confirmed, await lifecycle.ConfirmAsync(id, CancellationToken.None));
                            confirmed.Add((partner.PartnerId, id, TonAmount.ToNano(amount) + 10_000_000));
                            break;
                    }
                }
            }
        }

        // Some sends fail at the processor; the grace passes for the refunds and the confirmation window for the rest.
        await factory.ControlWithdrawalsAsync(new { fail_next = random.Next(1, 4) });
        await factory.EngineAsync();
        factory.ManualClock.Advance(TimeSpan.FromHours(2));
        for (var run = 0; run < 6; run++)
        {
            await factory.EngineAsync();
        }

        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        foreach (var (partnerId, id, held) in confirmed)
        {
            await using var command = new NpgsqlCommand("SELECT status FROM withdrawals WHERE id = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            var status = (string)(await command.ExecuteScalarAsync())!;
            Assert.Contains(status, EndStatuses);
            withdrawn[partnerId] += status == "completed" ? held : 0;
        }

        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM withdrawals WHERE status IN ('awaiting_confirmation', 'pending', 'sent')"));
        output.WriteLine($"{confirmed.Count} withdrawals confirmed, {await Db.ScalarAsync(factory, "SELECT count(*) FROM withdrawals WHERE kind = 'refund'")} refunds");
        return withdrawn;
    }

    private static decimal Cents(Random random) => random.Next(1, 500) / 1000m;

    private static List<decimal> Split(decimal price, Random random)
    {
        var first = decimal.Round(price * random.Next(10, 90) / 100m, 3);
        return [first, price - first];
    }

    /// <summary>Shuffles the groups but keeps each group's deposits in order.</summary>
    private static List<Planned> Interleave(List<List<Planned>> groups, Random random)
    {
        var queues = groups.Where(g => g.Count > 0).Select(g => new Queue<Planned>(g)).ToList();
        var result = new List<Planned>();
        while (queues.Count > 0)
        {
            var index = random.Next(queues.Count);
            result.Add(queues[index].Dequeue());
            if (queues[index].Count == 0)
            {
                queues.RemoveAt(index);
            }
        }

        return result;
    }

    private async Task PollQuietlyAsync()
    {
        try
        {
            await factory.PollAsync();
        }
        catch (Exception ex) when (ex is TheOpenMoney.Api.Payments.ProcessorException or HttpRequestException)
        {
            output.WriteLine($"poll failed as injected: {ex.Message}");
        }
    }

    private async Task WaitForAllAppliedAsync(List<Planned> plan)
    {
        var distinct = plan.Count(d => !d.Duplicate);
        for (var attempt = 0; attempt < 40; attempt++)
        {
            var applied = await Db.ScalarAsync(factory, "SELECT count(*) FROM deposits WHERE applied_at IS NOT NULL");
            if (applied >= distinct)
            {
                return;
            }

            await PollQuietlyAsync();
        }

        Assert.Fail("deposits were still unapplied after 40 polls");
    }

    private static async Task<(string, long, long, long)> ReadOrderAsync(NpgsqlConnection connection, long id)
    {
        await using var command = new NpgsqlCommand("SELECT status, paid_nanoton, late_paid_nanoton, refunded_nanoton FROM orders WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }
}

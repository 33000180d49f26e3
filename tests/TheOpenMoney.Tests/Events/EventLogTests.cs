using Microsoft.EntityFrameworkCore;
using TheOpenMoney.Api.Infrastructure.Data;

namespace TheOpenMoney.Tests.Events;

/// <summary>
/// The event log on real PostgreSQL, through every order path: each committed transition has exactly one
/// event, a rolled-back change none; <c>GET /events</c> pages in increasing ids with the cursor contract,
/// filters by type, and never shows another partner's events.
/// </summary>
public sealed class EventLogTests(EventLogTests.Factory factory) : IClassFixture<EventLogTests.Factory>
{
    private static int s_nextUser = 140_000;

    public sealed class Factory : PaymentsFactory
    {
        protected override string OrderTtl => "00:00:02";
    }

    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory, Interlocked.Increment(ref s_nextUser));

    /// <summary>All the partner's events, once the dispatcher has numbered at least <paramref name="atLeast"/>.</summary>
    private static async Task<List<JsonElement>> EventsAsync(PartnerApi partner, int atLeast, string? type = null) =>
        await Eventually.WaitAsync(
            async () =>
            {
                var all = new List<JsonElement>();
                long after = 0;
                while (true)
                {
                    var page = await (await partner.Client.GetAsync($"/api/v1/events?after={after}&limit=100{(type is null ? "" : "&type=" + type)}")).AssertOkAsync();
                    all.AddRange(page.GetProperty("items").EnumerateArray());
                    after = page.GetProperty("next_after").GetInt64();
                    if (!page.GetProperty("has_more").GetBoolean())
                    {
                        return all;
                    }
                }
            },
            events => events.Count >= atLeast,
            $"{atLeast} events");

    private static List<string> TypesOf(IEnumerable<JsonElement> events, long orderId) =>
        [.. events.Where(e => e.GetProperty("data").TryGetProperty("order", out var o) && o.GetProperty("id").GetInt64() == orderId)
            .Select(e => e.GetProperty("type").GetString()!)];

    [Fact]
    public async Task A_ton_memo_order_paid_and_delivered_logs_created_paid_completed_with_the_order_as_it_was()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        await factory.DepositAsync(0.5m, order.GetProperty("payment_memo").GetString());
        await factory.PollAsync();
        await Delivery.DeliverAsync(factory, partner, id);

        var events = await EventsAsync(partner, 4);

        Assert.Equal(["order.created", "order.paid", "order.completed"], TypesOf(events, id));
        var created = events.First(e => e.GetProperty("type").GetString() == "order.created").GetProperty("data").GetProperty("order");
        Assert.Equal("pending_payment", created.GetProperty("status").GetString());
        Assert.Equal(order.GetProperty("payment_link").GetString(), created.GetProperty("payment_link").GetString());
        var paid = events.First(e => e.GetProperty("type").GetString() == "order.paid").GetProperty("data").GetProperty("order");
        Assert.Equal(0.417m, paid.GetProperty("paid_ton").GetDecimal());
        Assert.Equal(JsonValueKind.Null, paid.GetProperty("payment_link").ValueKind);
        // The 0.083 TON paid over the price is credited, with its own event.
        var credit = Assert.Single(events, e => e.GetProperty("type").GetString() == "balance.credited").GetProperty("data").GetProperty("transaction");
        Assert.Equal("overpayment", credit.GetProperty("type").GetString());
        Assert.Equal(0.083m, credit.GetProperty("amount_ton").GetDecimal());
        var ids = events.Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_balance_order_and_a_refused_delivery_log_the_debit_the_failure_and_the_refund()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(1m, "events");
        var delivered = (await partner.CreatedStarsOrderAsync(method: "balance")).GetProperty("id").GetInt64();
        var refused = (await partner.CreatedStarsOrderAsync("failing_fred", method: "balance")).GetProperty("id").GetInt64();
        await Delivery.DeliverAsync(factory, partner, delivered);
        await Delivery.DeliverAsync(factory, partner, refused);

        var events = await EventsAsync(partner, 9);

        Assert.Equal(["order.created", "order.paid", "order.completed"], TypesOf(events, delivered));
        Assert.Equal(["order.created", "order.paid", "order.failed"], TypesOf(events, refused));
        var money = events.Where(e => e.GetProperty("data").TryGetProperty("transaction", out _))
            .Select(e => (e.GetProperty("type").GetString(), e.GetProperty("data").GetProperty("transaction").GetProperty("type").GetString()))
            .ToList();
        Assert.Equal([("balance.credited", "adjustment"), ("balance.debited", "order_payment"), ("balance.debited", "order_payment"), ("balance.credited", "refund")], money);
    }

    [Fact]
    public async Task Cancel_and_expiry_log_their_transition_and_the_short_payment_credited_back()
    {
        var partner = await NewPartnerAsync();
        var cancelled = await partner.CreatedStarsOrderAsync();
        var expiring = await partner.CreatedStarsOrderAsync();
        await factory.DepositAsync(0.1m, cancelled.GetProperty("payment_memo").GetString());
        await factory.PollAsync();
        await (await partner.CancelAsync(cancelled.GetProperty("id").GetInt64())).AssertOkAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        await factory.PollAsync();

        var events = await EventsAsync(partner, 5);

        Assert.Equal(["order.created", "order.cancelled"], TypesOf(events, cancelled.GetProperty("id").GetInt64()));
        Assert.Equal(["order.created", "order.expired"], TypesOf(events, expiring.GetProperty("id").GetInt64()));
        var credit = Assert.Single(events, e => e.GetProperty("type").GetString() == "balance.credited").GetProperty("data").GetProperty("transaction");
        Assert.Equal("underpayment", credit.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Late_payments_and_top_ups_log_their_credit()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        await (await partner.CancelAsync(order.GetProperty("id").GetInt64())).AssertOkAsync();
        await factory.DepositAsync(0.417m, order.GetProperty("payment_memo").GetString());
        var topup = (await (await partner.Client.GetAsync("/api/v1/balance")).AssertOkAsync()).GetProperty("topup_address").GetString()!;
        await factory.DepositAsync(2m, comment: null, address: topup);
        await factory.PollAsync();

        var events = await EventsAsync(partner, 4);

        var credits = events.Where(e => e.GetProperty("type").GetString() == "balance.credited")
            .Select(e => e.GetProperty("data").GetProperty("transaction"))
            .Select(t => (t.GetProperty("type").GetString(), t.GetProperty("amount_ton").GetDecimal()))
            .OrderBy(c => c.Item1, StringComparer.Ordinal)
            .ToList();
        Assert.Equal([("late_payment", 0.417m), ("topup", 2m)], credits);
    }

    [Fact]
    public async Task A_rolled_back_transition_leaves_no_event_and_a_committed_one_exactly_one()
    {
        var partner = await NewPartnerAsync();
        var id = (await partner.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var work = scope.ServiceProvider.GetRequiredService<UnitOfWork>();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await Assert.ThrowsAsync<InvalidOperationException>(() => work.RunAsync<int>(
                async token =>
                {
                    await db.Database.ExecuteSqlAsync($"UPDATE orders SET status = 'cancelled', cancelled_at = now() WHERE id = {id}", token);
                    throw new InvalidOperationException("rolled back");
                },
                CancellationToken.None));
        }

        Assert.Equal(0, await Db.ScalarAsync(factory, "SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.cancelled'", id));
        await (await partner.CancelAsync(id)).AssertOkAsync();
        await (await partner.CancelAsync(id)).AssertOkAsync();
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.cancelled'", id));
        Assert.Equal(1, await Db.ScalarAsync(factory, "SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.created'", id));
    }

    [Fact]
    public async Task Events_get_their_public_ids_in_the_order_they_were_written()
    {
        var partner = await NewPartnerAsync();
        // Some committed at once (one batch of the dispatcher), after updates that moved rows around on disk.
        await Db.ExecuteAsync(factory, "INSERT INTO events (partner_id, type, snapshot) SELECT $1, 'ping', '{}'::jsonb FROM generate_series(1, 300)", partner.PartnerId);
        // SKIP LOCKED: rows the dispatcher is numbering right now are left alone (waiting could deadlock with it).
        await Db.ExecuteAsync(
            factory,
            """
            UPDATE events SET snapshot = '{"x": 1}'::jsonb
             WHERE id IN (SELECT id FROM events WHERE partner_id = $1 AND id % 3 = 0 AND seq IS NULL ORDER BY id FOR UPDATE SKIP LOCKED)
            """,
            partner.PartnerId);

        await Eventually.WaitAsync(
            () => Db.ScalarAsync(factory, "SELECT count(*) FROM events WHERE partner_id = $1 AND seq IS NULL", partner.PartnerId),
            left => left == 0,
            "every event numbered");

        Assert.Equal(0, await Db.ScalarAsync(
            factory,
            "SELECT count(*) FROM events a JOIN events b ON a.partner_id = b.partner_id AND a.id < b.id AND a.seq > b.seq WHERE a.partner_id = $1",
            partner.PartnerId));
    }

    [Fact]
    public async Task The_cursor_pages_filters_by_type_and_never_shows_another_partners_events()
    {
        var partner = await NewPartnerAsync();
        var stranger = await NewPartnerAsync();
        for (var i = 0; i < 3; i++)
        {
            await partner.CreatedStarsOrderAsync();
        }

        await stranger.CreatedStarsOrderAsync();
        var all = await EventsAsync(partner, 3);

        var first = await (await partner.Client.GetAsync("/api/v1/events?limit=2")).AssertOkAsync();
        Assert.Equal(2, first.GetProperty("items").GetArrayLength());
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var second = await (await partner.Client.GetAsync($"/api/v1/events?limit=2&after={first.GetProperty("next_after").GetInt64()}")).AssertOkAsync();
        Assert.Equal(all[2].GetProperty("id").GetInt64(), second.GetProperty("items")[0].GetProperty("id").GetInt64());
        Assert.False(second.GetProperty("has_more").GetBoolean());
        var end = await (await partner.Client.GetAsync($"/api/v1/events?after={second.GetProperty("next_after").GetInt64()}")).AssertOkAsync();
        Assert.Equal(0, end.GetProperty("items").GetArrayLength());
        Assert.Equal(second.GetProperty("next_after").GetInt64(), end.GetProperty("next_after").GetInt64());

        Assert.Equal(3, (await EventsAsync(partner, 3, "order.created")).Count);
        Assert.Empty(await EventsAsync(partner, 0, "order.paid"));
        var theirs = await EventsAsync(stranger, 1);
        Assert.Single(theirs);
        // Ids are counted per partner (they may coincide); what the stranger sees is its own order, none of ours.
        var ourOrders = all.Select(e => e.GetProperty("data").GetProperty("order").GetProperty("id").GetInt64()).ToHashSet();
        Assert.DoesNotContain(theirs, e => ourOrders.Contains(e.GetProperty("data").GetProperty("order").GetProperty("id").GetInt64()));

        await (await partner.Client.GetAsync("/api/v1/events?limit=101")).AssertErrorAsync(422, ErrorCodes.ValidationError);
        await (await partner.Client.GetAsync("/api/v1/events?type=order.lost")).AssertErrorAsync(422, ErrorCodes.ValidationError);
        await (await partner.Client.GetAsync("/api/v1/events?after=-1")).AssertErrorAsync(422, ErrorCodes.ValidationError);
    }
}

using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace TheOpenMoney.Tests.Architecture;

/// <summary>
/// The order state machine has one owner: in C# only <c>Orders/OrderLifecycle.cs</c> writes <c>orders</c>;
/// in SQL only <c>order_receive_payment</c> (migration 0012) does; and nothing writes an order through EF's
/// change tracker.
/// </summary>
public sealed partial class OrderWritesTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private const string Owner = "src/TheOpenMoney.Api/Orders/OrderLifecycle.cs";

    [Fact]
    public void Only_OrderLifecycle_writes_the_orders_table() => Assert.Empty(SourceTree.WritersOtherThan(Owner, Writes));

    [Fact]
    public void OrderLifecycle_holds_every_kind_of_write_the_check_looks_for()
    {
        // The check above cannot pass by looking for nothing: the owner itself is found writing.
        var lines = SourceTree.WritesIn(Owner, Writes);

        Assert.Contains(lines, line => line.Contains("INSERT INTO orders", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("UPDATE orders", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("ExecuteUpdateAsync", StringComparison.Ordinal) || line.Contains("db.Orders.Where", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_order_receive_payment_writes_orders_among_the_databases_functions()
    {
        await using var connection = new Npgsql.NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'", connection);
        var writers = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                if (Writes(reader.GetString(1)).Any())
                {
                    writers.Add(reader.GetString(0));
                }
            }
        }

        Assert.Equal(["order_receive_payment"], writers);
    }

    [Fact]
    public async Task A_tracked_write_of_an_order_is_refused_before_it_reaches_the_database()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var created = await partner.CreatedStarsOrderAsync();
        var id = created.GetProperty("id").GetInt64();
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TheOpenMoney.Api.Infrastructure.Data.AppDbContext>();

        var order = await db.Orders.AsTracking().SingleAsync(o => o.Id == id);
        order.Status = TheOpenMoney.Api.Orders.OrderStatus.Paid;
        var changed = await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();
        db.Orders.Add(new TheOpenMoney.Api.Orders.Order { PartnerId = partner.PartnerId, PaymentMemo = "STARS-zzzzzz" });
        var added = await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());

        Assert.Contains("OrderLifecycle", changed.Message, StringComparison.Ordinal);
        Assert.Contains("Added", added.Message, StringComparison.Ordinal);
        Assert.Equal("pending_payment", (await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync()).GetProperty("status").GetString());
        Assert.Equal(1, await Db.OrderCountAsync(factory, partner.PartnerId));
    }

    [Theory]
    [InlineData("UPDATE orders SET status = $2")]
    [InlineData("update   Orders o set x = 1")]
    [InlineData("INSERT INTO orders (partner_id)")]
    [InlineData("DELETE FROM orders WHERE id = $1")]
    [InlineData("await db.Orders.Where(o => o.Id == id).ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, x));")]
    [InlineData("db.Orders.Add(order);")]
    [InlineData("context.Orders.Remove(order);")]
    public void The_check_recognises_a_write(string code) => Assert.NotEmpty(Writes(code));

    [Theory]
    [InlineData("SELECT id FROM orders WHERE status = $1")]
    [InlineData("UPDATE orders_archive SET x = 1")]
    [InlineData("UPDATE processor_cursors SET next_offset = $2")]
    [InlineData("await reads.Orders.Where(o => o.PartnerId == id).ToListAsync();")]
    public void The_check_ignores_reads_and_other_tables(string code) => Assert.Empty(Writes(code));

    /// <summary>1-based line numbers of statements that write <c>orders</c>: raw SQL, or EF on the <c>Orders</c> set.</summary>
    private static IEnumerable<int> Writes(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            // An EF bulk update/delete may put .ExecuteUpdate on a later line than .Orders.Where.
            var statement = string.Join(' ', lines.Skip(i).Take(3));
            if (SqlWrite().IsMatch(lines[i]) || EfAddOrRemove().IsMatch(lines[i])
                || (EfOrdersQuery().IsMatch(lines[i]) && EfBulkWrite().IsMatch(statement)))
            {
                yield return i + 1;
            }
        }
    }

    [GeneratedRegex(@"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+orders\b(?!_)", RegexOptions.IgnoreCase)]
    private static partial Regex SqlWrite();

    [GeneratedRegex(@"\.Orders\s*\.\s*(Add|AddRange|Remove|RemoveRange|Update|Attach)\s*\(")]
    private static partial Regex EfAddOrRemove();

    [GeneratedRegex(@"\.Orders\s*\.\s*Where\s*\(")]
    private static partial Regex EfOrdersQuery();

    [GeneratedRegex(@"\.Execute(Update|Delete)(Async)?\s*\(")]
    private static partial Regex EfBulkWrite();
}

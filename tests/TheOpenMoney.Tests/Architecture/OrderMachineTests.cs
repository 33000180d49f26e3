using System.Text.RegularExpressions;
using Npgsql;
using TheOpenMoney.Api.Webhooks;
using TheOpenMoney.Api.Infrastructure.Data;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Tests.Architecture;

/// <summary>
/// <see cref="OrderMachine"/> is the one place that says how an order moves, so it is held against the
/// migrated database itself: the statuses the <c>orders</c> CHECK allows, every status change any SQL
/// function makes, and the events the <c>tr_orders_events</c> trigger writes.
/// </summary>
public sealed partial class OrderMachineTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private async Task<List<string>> ColumnAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <summary>Every function of the schema with its source (plpgsql and sql bodies).</summary>
    private Task<List<string>> FunctionsAsync() =>
        ColumnAsync("SELECT p.proname || E'\\n' || p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'");

    [Fact]
    public async Task The_statuses_the_database_allows_are_the_machines()
    {
        var check = (await ColumnAsync("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ck_orders_status'")).Single();

        var allowed = Quoted().Matches(check).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Equal(EnumText<OrderStatus>.All.ToHashSet(), allowed);
        var reached = OrderMachine.All.Where(t => t.To is not null).Select(t => OrderLifecycle.Text(t.To!.Value)).ToHashSet();
        Assert.Equal(allowed, reached);
    }

    [Fact]
    public async Task Every_status_change_made_in_sql_is_a_move_of_the_machine_given_to_sql()
    {
        var changes = new List<(string Function, string From, string To)>();
        foreach (var function in await FunctionsAsync())
        {
            var name = function[..function.IndexOf('\n', StringComparison.Ordinal)];
            foreach (Match update in StatusUpdate().Matches(function))
            {
                changes.Add((name, update.Groups["from"].Value, update.Groups["to"].Value));
            }
        }

        Assert.NotEmpty(changes);
        foreach (var (function, from, to) in changes)
        {
            var move = OrderMachine.StatusChange(EnumText<OrderStatus>.Parse(from), EnumText<OrderStatus>.Parse(to));
            Assert.True(move is not null, $"{function} moves orders {from} → {to}, which OrderMachine does not have");
            Assert.Equal(OrderMover.ReceivePaymentFunction, move!.Mover);
            Assert.Equal(move.Method, function);
        }

        // And the other way round: what the table gives to SQL, SQL does.
        foreach (var move in OrderMachine.All.Where(t => t.Mover == OrderMover.ReceivePaymentFunction && t.ChangesStatus))
        {
            Assert.Contains(changes, c => c.From == OrderLifecycle.Text(move.From!.Value) && c.To == OrderLifecycle.Text(move.To!.Value) && c.Function == move.Method);
        }
    }

    [Fact]
    public async Task The_event_trigger_writes_an_event_for_each_status_change_that_has_an_event_type()
    {
        var trigger = (await ColumnAsync("SELECT prosrc FROM pg_proc WHERE proname = 'record_order_event'")).Single();
        var list = TriggerStatuses().Match(trigger);
        Assert.True(list.Success, "record_order_event names the statuses it writes events for");

        var evented = Quoted().Matches(list.Groups[1].Value).Select(m => m.Groups[1].Value).ToHashSet();

        var changedInto = OrderMachine.All.Where(t => t.ChangesStatus && t.From is not null).Select(t => OrderLifecycle.Text(t.To!.Value)).ToHashSet();
        Assert.Subset(changedInto, evented);
        foreach (var status in changedInto)
        {
            // An order.<status> event type exists exactly for the statuses the trigger writes.
            Assert.Equal(evented.Contains(status), EventTypes.All.Contains("order." + status));
        }
    }

    [Fact]
    public void The_machine_names_each_move_once_and_its_lifecycle_methods_exist()
    {
        Assert.Equal(OrderMachine.All.Count, OrderMachine.All.Select(t => t.Name).Distinct().Count());
        foreach (var move in OrderMachine.All.Where(t => t.Mover == OrderMover.Lifecycle))
        {
            Assert.NotNull(typeof(OrderLifecycle).GetMethod(move.Method));
        }

        // Each status change is made by one move only, so a from/to names its move.
        var changes = OrderMachine.All.Where(t => t.ChangesStatus).Select(t => (t.From, t.To)).ToList();
        Assert.Equal(changes.Count, changes.Distinct().Count());
    }

    [GeneratedRegex("'([a-z_]+)'")]
    private static partial Regex Quoted();

    /// <summary><c>UPDATE orders SET status = 'to' … WHERE … status = 'from'</c> within one statement.</summary>
    [GeneratedRegex(@"UPDATE\s+orders\s+SET\s+status\s*=\s*'(?<to>[a-z_]+)'[^;]*?\bstatus\s*=\s*'(?<from>[a-z_]+)'", RegexOptions.IgnoreCase)]
    private static partial Regex StatusUpdate();

    [GeneratedRegex(@"NEW\.status\s+IN\s*\(([^)]*)\)")]
    private static partial Regex TriggerStatuses();
}

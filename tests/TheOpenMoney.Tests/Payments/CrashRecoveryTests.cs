using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Xunit.Abstractions;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// The API as a real process, killed with SIGKILL in the middle of a batch of deposits and started
/// again: nothing is lost and nothing is credited twice.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Deposits = 4000;

    private ApiProcessHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiProcessHost.StartAsync();
        _host.Environment["PaymentProcessor__PollInterval"] = "00:00:00.100";
        _host.Environment["PaymentProcessor__PageSize"] = "200";
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Killing_the_service_mid_batch_loses_nothing_and_credits_nothing_twice()
    {
        var first = await ApiProcess.StartAsync(_host.Environment);
        var addresses = new List<(string Key, string Address)>();
        for (var i = 0; i < 3; i++)
        {
            var key = (await ApiProcess.RunCliAsync(_host.Environment, "keys", "create", "--telegram-user-id", TestPartners.NextTelegramUserId().ToString(CultureInfo.InvariantCulture))).Stdout.Trim();
            using var client = new HttpClient { BaseAddress = new Uri(first.Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var balance = JsonDocument.Parse(await client.GetStringAsync("/api/v1/balance")).RootElement.GetProperty("data");
            addresses.Add((key, balance.GetProperty("topup_address").GetString()!));
        }

        var random = new Random(7);
        var amounts = Enumerable.Range(0, Deposits).Select(_ => (long)random.Next(1, 1_000_000) * 1000).ToList();
        var body = new
        {
            deposits = amounts.Select((amount, i) => new
            {
                deposit_address = addresses[i % 3].Address,
                amount = amount.ToString(CultureInfo.InvariantCulture),
                comment = "topup",
            }),
        };
        (await _host.Sim.PostAsJsonAsync("/_sim/deposits/batch", body)).EnsureSuccessStatusCode();

        var appliedAtKill = 0L;
        try
        {
            appliedAtKill = await WaitForAppliedAsync(n => n >= 200);
        }
        finally
        {
            await first.KillAsync();
            await first.DisposeAsync();
        }

        var afterKill = await AppliedAsync();
        output.WriteLine($"killed with {afterKill} of {Deposits} deposits applied");
        Assert.True(afterKill < Deposits, "the kill should land in the middle of the batch");
        Assert.True(appliedAtKill <= afterKill);

        await using (await ApiProcess.StartAsync(_host.Environment))
        {
            await WaitForAppliedAsync(n => n == Deposits);
        }

        Assert.Equal(Deposits, await ScalarAsync("SELECT count(*) FROM deposits"));
        Assert.Equal(Deposits, await ScalarAsync("SELECT count(*) FROM balance_ledger WHERE type = 'topup'"));
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM (SELECT deposit_id FROM balance_ledger WHERE deposit_id IS NOT NULL GROUP BY deposit_id HAVING count(*) > 1) d"));
        Assert.Equal(amounts.Sum(), await ScalarAsync("SELECT sum(balance_nanoton) FROM partner_balances"));
        for (var i = 0; i < 3; i++)
        {
            var expected = amounts.Where((_, index) => index % 3 == i).Sum();
            Assert.Equal(expected, await ScalarAsync(
                "SELECT b.balance_nanoton FROM partner_balances b JOIN deposit_addresses a ON a.partner_id = b.partner_id WHERE a.address = $1",
                addresses[i].Address));
            Assert.Equal(expected, await ScalarAsync(
                "SELECT sum(l.amount_nanoton) FROM balance_ledger l JOIN deposit_addresses a ON a.partner_id = l.partner_id WHERE a.address = $1",
                addresses[i].Address));
        }
    }

    private async Task<long> WaitForAppliedAsync(Func<long, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var applied = await AppliedAsync();
            if (done(applied))
            {
                return applied;
            }

            Assert.True(DateTime.UtcNow < deadline, $"gave up with {applied} deposits applied");
            await Task.Delay(5);
        }
    }

    private Task<long> AppliedAsync() => ScalarAsync("SELECT count(*) FROM deposits WHERE applied_at IS NOT NULL");

    private async Task<long> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }
}

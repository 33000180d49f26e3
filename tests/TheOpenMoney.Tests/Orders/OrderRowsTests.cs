using Microsoft.EntityFrameworkCore;
using Npgsql;
using TheOpenMoney.Api.Infrastructure.Data;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Tests.Orders;

/// <summary>
/// The partner's order reads go through <see cref="OrderRows"/>, a hand-written mapping: it must name every column the
/// EF model maps, and read a row exactly as EF reads it, so the reads and the writes cannot drift apart.
/// </summary>
public sealed class OrderRowsTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public void The_select_list_is_every_column_the_model_maps_once()
    {
        using var scope = factory.Services.CreateScope();
        var entity = scope.ServiceProvider.GetRequiredService<AppDbContext>().Model.FindEntityType(typeof(Order))!;
        var modelColumns = entity.GetProperties().Select(p => p.GetColumnName()).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(modelColumns, OrderRows.ColumnNames.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(OrderRows.ColumnNames.Count, OrderRows.ColumnNames.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task A_row_with_every_column_set_reads_as_ef_reads_it()
    {
        var partner = await PartnerApi.CreateAsync(factory);
        var id = (await partner.CreatedStarsOrderAsync(reference: "rows-1")).GetProperty("id").GetInt64();
        // Every nullable column given a value, every timestamp a fraction of a second, decimals with their full scale.
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand(
                """
                UPDATE orders SET status = 'failed', paid_at = '2026-01-02T03:04:05.123456Z', completed_at = '2026-01-02T03:04:06.5Z',
                       cancelled_at = '2026-01-02T03:04:07Z', expired_at = '2026-01-02T03:04:08.000001Z', failed_at = '2026-01-02T03:04:09Z',
                       paid_nanoton = price_nanoton, payment_tx_hash = 'hash-1', failure_reason = 'supplier said no',
                       refunded_nanoton = 7, late_paid_nanoton = 11, delivery_attempts = 3, delivery_lease_until = '2026-01-02T03:04:10Z',
                       processing_at = '2026-01-02T03:04:11Z', supplier_reference = 'sup-1', last_delivery_error = 'timeout',
                       tonramp_payload = 'p', tonramp_deep_link = 'https://d', tonramp_telegram_link = 'https://t', tonramp_status = 'paid',
                       tonramp_checked_at = '2026-01-02T03:04:12Z', price_usd = 1.123456, fee_percent = 2.5, ton_usd_rate = 3.123456789,
                       payment_currency = 'USDT', ton_quote_nanoton = 13, payment_jetton = 'EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs'
                 WHERE id = $1
                """,
                connection);
            update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        using var scope = factory.Services.CreateScope();
        var byEf = await scope.ServiceProvider.GetRequiredService<ReadOnlyDbContext>().Orders.SingleAsync(o => o.Id == id);
        var byRows = await scope.ServiceProvider.GetRequiredService<OrderReads>().FindAsync(byEf.PartnerId, id, CancellationToken.None);

        var properties = typeof(Order).GetProperties().Where(p => p.CanWrite).ToArray();
        Assert.True(properties.Length >= OrderRows.ColumnNames.Count);
        foreach (var property in properties)
        {
            Assert.True(Equals(property.GetValue(byEf), property.GetValue(byRows)), $"{property.Name}: EF {property.GetValue(byEf)}, OrderRows {property.GetValue(byRows)}");
        }

        // A Stars order has no months (a CHECK); every other column was set, so a column read as null would show here.
        Assert.All(properties.Where(p => p.Name != nameof(Order.PremiumMonths)), p => Assert.NotNull(p.GetValue(byRows)));
    }
}

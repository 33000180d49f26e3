using TheOpenMoney.Api.Pricing;
using TheOpenMoney.Api.Infrastructure.Paging;

namespace TheOpenMoney.Api.Orders;

/// <summary>
/// A partner's reads of its orders: one statement each on the multiplexed read connections (<see cref="DataSources.Reads"/>),
/// rows read by <see cref="OrderRows"/>. Written as SQL rather than through EF because these are the hottest
/// requests: EF's query pipeline and a pooled context per request cost more than the rest of a read together
/// (bench/NOTES.md, "Many instances"). Everything is scoped to the partner: another partner's order is not found.
/// The answers are read with each row's version (<c>xmin</c>) and rendered once per version (<see cref="RenderedOrders"/>).
/// </summary>
public sealed class OrderReads([FromKeyedServices(DataSources.Reads)] NpgsqlDataSource reads, RenderedOrders rendered)
{
    private static readonly string[] SpentStatuses = [.. new[] { OrderStatus.Paid, OrderStatus.Processing, OrderStatus.Completed }.Select(OrderLifecycle.Text)];

    /// <summary>Where a row's version (<c>xmin</c>) is: right after <see cref="OrderRows.Columns"/>.</summary>
    private static readonly int Version = OrderRows.ColumnNames.Count;

    private static readonly string ById = $"SELECT {OrderRows.Columns} FROM orders WHERE id = $1 AND partner_id = $2";

    private const string VersionById = "SELECT xmin FROM orders WHERE id = $1 AND partner_id = $2";

    private static readonly string RenderedById = $"SELECT {OrderRows.Columns}, xmin FROM orders WHERE id = $1 AND partner_id = $2";

    private static readonly string RenderedByIds = $"SELECT {OrderRows.Columns}, xmin FROM orders WHERE id = ANY ($1) AND partner_id = $2";

    private static readonly string RenderedByMemo = $"SELECT {OrderRows.Columns}, xmin FROM orders WHERE payment_memo = $1 AND partner_id = $2";

    /// <summary>The order itself (to act on it); <see cref="GetAsync"/> answers it.</summary>
    public async Task<Order> FindAsync(long partnerId, long orderId, CancellationToken cancellationToken)
    {
        await using var command = reads.CreateCommand(ById);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = orderId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        return await SingleAsync(command, OrderRows.Read, cancellationToken);
    }

    /// <summary>
    /// The order as the API answers it. When this process has rendered it before, only the row's version is read
    /// first, and the full row only when that version is not the one rendered (the order changed since).
    /// </summary>
    public async Task<RenderedOrder> GetAsync(long partnerId, long orderId, CancellationToken cancellationToken)
    {
        if (rendered.Has(orderId))
        {
            await using var probe = reads.CreateCommand(VersionById);
            probe.Parameters.Add(new NpgsqlParameter<long> { TypedValue = orderId });
            probe.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
            var version = await probe.ExecuteScalarAsync(cancellationToken) as uint? ?? throw ApiException.NotFound("order");
            if (rendered.TryGet(orderId, version, out var known))
            {
                return known;
            }
        }

        await using var command = reads.CreateCommand(RenderedById);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = orderId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        return await SingleAsync(command, Render, cancellationToken);
    }

    /// <summary>By the memo, compared the way payments are matched (<see cref="PaymentMemo.Normalize"/>), as the API answers it.</summary>
    public async Task<RenderedOrder> GetByMemoAsync(long partnerId, string memo, CancellationToken cancellationToken)
    {
        var canonical = PaymentMemo.Normalize(memo) ?? throw ApiException.NotFound("order");
        await using var command = reads.CreateCommand(RenderedByMemo);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = canonical });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        return await SingleAsync(command, Render, cancellationToken);
    }

    /// <summary>
    /// Newest first, filtered. The total rides along with each row; only a page past the end asks for the count on its own.
    /// </summary>
    public async Task<Page<RenderedOrder>> ListAsync(long partnerId, ListOrdersQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = new StringBuilder("partner_id = $1");
        var parameters = new List<NpgsqlParameter> { new NpgsqlParameter<long> { TypedValue = partnerId } };
        void Where(string condition, NpgsqlParameter parameter)
        {
            parameters.Add(parameter);
            filter.Append(" AND ").Append(condition).Append(" $").Append(parameters.Count);
        }

        if (EnumText<OrderStatus>.TryParse(query.Status, out var status))
        {
            Where("status =", new NpgsqlParameter<string> { TypedValue = EnumText<OrderStatus>.ToText(status) });
        }

        if (EnumText<OrderType>.TryParse(query.OrderType, out var type))
        {
            Where("order_type =", new NpgsqlParameter<string> { TypedValue = EnumText<OrderType>.ToText(type) });
        }

        if (query.CreatedFrom is { } from)
        {
            Where("created_at >=", new NpgsqlParameter<DateTimeOffset> { TypedValue = from.ToUniversalTime() });
        }

        if (query.CreatedTo is { } to)
        {
            Where("created_at <", new NpgsqlParameter<DateTimeOffset> { TypedValue = to.ToUniversalTime() });
        }

        if (query.ClientReference is { } reference)
        {
            Where("client_reference =", new NpgsqlParameter<string> { TypedValue = reference });
        }

        // The total is a scalar subquery PostgreSQL runs once (an index count), not count(*) OVER (), which would buffer
        // every matching row of the partner to count them. The page bounds are literals (validated integers): with them
        // as parameters the generic plan's unknown LIMIT looks costlier than a custom one and PostgreSQL re-plans the
        // statement on every execution (a third of its CPU on this route, measured with perf).
        // The page is read as ids and row versions (with the total); only the orders this process has not rendered at those
        // versions are then read in full, by id. Rendering every read, it is one statement with the full rows.
        var renderEveryRead = !rendered.Enabled;
        var page = new List<(long Id, uint Version, RenderedOrder? Known)>(query.PageSize());
        var items = new List<RenderedOrder>(query.PageSize());
        var total = 0L;
        await using (var command = reads.CreateCommand(
            $"SELECT {(renderEveryRead ? OrderRows.Columns : "id")}, xmin, (SELECT count(*) FROM orders WHERE {filter}) FROM orders WHERE {filter} " +
            string.Create(CultureInfo.InvariantCulture, $"ORDER BY created_at DESC, id DESC LIMIT {query.PageSize()} OFFSET {query.RowsToSkip()}")))
        {
            command.Parameters.AddRange(parameters.ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var versionAt = renderEveryRead ? Version : 1;
            while (await reader.ReadAsync(cancellationToken))
            {
                total = reader.GetInt64(versionAt + 1);
                if (renderEveryRead)
                {
                    items.Add(Render(reader));
                    continue;
                }

                var (id, version) = (reader.GetInt64(0), reader.GetFieldValue<uint>(versionAt));
                page.Add((id, version, rendered.TryGet(id, version, out var known) ? known : null));
            }
        }

        if (page.Count > 0)
        {
            items.AddRange(await RenderPageAsync(partnerId, page, cancellationToken));
        }

        if (items.Count == 0)
        {
            await using var count = reads.CreateCommand($"SELECT count(*) FROM orders WHERE {filter}");
            count.Parameters.AddRange(parameters.Select(p => p.Clone()).ToArray());
            total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        return new Page<RenderedOrder>(items, checked((int)total), query.PageSize(), query.RowsToSkip());
    }

    /// <summary>
    /// Counts and sums over the partner's orders created in [from, to); the TON sums count TON orders only, the USDT sums
    /// (answered only when the period has a USDT order) USDT orders only: never added together.
    /// </summary>
    public async Task<OrderStatsResponse> StatsAsync(long partnerId, StatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var command = reads.CreateCommand(
            """
            SELECT status, order_type, payment_method, count(*),
                   coalesce(sum(stars_amount) FILTER (WHERE status = $4), 0),
                   coalesce(sum(premium_months) FILTER (WHERE status = $4), 0),
                   coalesce(sum(paid_nanoton + late_paid_nanoton) FILTER (WHERE payment_method <> 'balance' AND payment_currency = 'TON'), 0),
                   coalesce(sum(price_nanoton) FILTER (WHERE status = ANY ($5) AND payment_currency = 'TON'), 0),
                   coalesce(sum(refunded_nanoton) FILTER (WHERE payment_currency = 'TON'), 0),
                   count(*) FILTER (WHERE payment_currency = 'USDT'),
                   coalesce(sum(paid_nanoton + late_paid_nanoton) FILTER (WHERE payment_method <> 'balance' AND payment_currency = 'USDT'), 0),
                   coalesce(sum(price_nanoton) FILTER (WHERE status = ANY ($5) AND payment_currency = 'USDT'), 0),
                   coalesce(sum(refunded_nanoton) FILTER (WHERE payment_currency = 'USDT'), 0)
              FROM orders
             WHERE partner_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
             GROUP BY status, order_type, payment_method
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = partnerId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.From ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.To ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = OrderLifecycle.Text(OrderStatus.Completed) });
        // Spent: paid and not refunded (a failed order's price came back).
        command.Parameters.Add(new NpgsqlParameter { Value = SpentStatuses });
        var byStatus = EnumText<OrderStatus>.All.ToDictionary(s => s, _ => 0L, StringComparer.Ordinal);
        var byType = EnumText<OrderType>.All.ToDictionary(t => t, _ => 0L, StringComparer.Ordinal);
        var byMethod = EnumText<PaymentMethod>.All.ToDictionary(m => m, _ => 0L, StringComparer.Ordinal);
        long total = 0, stars = 0, months = 0, received = 0, spent = 0, refunded = 0, usdtOrders = 0, usdtReceived = 0, usdtSpent = 0, usdtRefunded = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var count = reader.GetInt64(3);
                byStatus[reader.GetString(0)] += count;
                byType[reader.GetString(1)] += count;
                byMethod[reader.GetString(2)] += count;
                total += count;
                stars += reader.GetInt64(4);
                months += reader.GetInt64(5);
                received += (long)reader.GetDecimal(6);
                spent += (long)reader.GetDecimal(7);
                refunded += (long)reader.GetDecimal(8);
                usdtOrders += reader.GetInt64(9);
                usdtReceived += (long)reader.GetDecimal(10);
                usdtSpent += (long)reader.GetDecimal(11);
                usdtRefunded += (long)reader.GetDecimal(12);
            }
        }

        var stats = new OrderStatsResponse(
            query.From, query.To, total, byStatus, byType, byMethod, stars, months, TonAmount.FromNano(received), new Nanoton(received), TonAmount.FromNano(spent), new Nanoton(spent), TonAmount.FromNano(refunded), new Nanoton(refunded));
        return usdtOrders == 0 ? stats : stats with
        {
            UsdtReceived = new Amount<Usdt>(usdtReceived).Coins,
            UsdtReceivedUnits = new BaseUnits(usdtReceived),
            UsdtSpent = new Amount<Usdt>(usdtSpent).Coins,
            UsdtSpentUnits = new BaseUnits(usdtSpent),
            UsdtRefunded = new Amount<Usdt>(usdtRefunded).Coins,
            UsdtRefundedUnits = new BaseUnits(usdtRefunded),
        };
    }

    private RenderedOrder Render(NpgsqlDataReader reader) => rendered.Render(reader, Version);

    /// <summary>A page's orders in its order: those rendered at the page's versions as they are, the rest read in full (one statement) and rendered.</summary>
    private async Task<IEnumerable<RenderedOrder>> RenderPageAsync(long partnerId, List<(long Id, uint Version, RenderedOrder? Known)> page, CancellationToken cancellationToken)
    {
        var missing = page.Where(row => row.Known is null).Select(row => row.Id).ToArray();
        if (missing.Length == 0)
        {
            return page.Select(row => row.Known!);
        }

        var fresh = new Dictionary<long, RenderedOrder>(missing.Length);
        await using (var command = reads.CreateCommand(RenderedByIds))
        {
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = missing });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                fresh[reader.GetInt64(0)] = Render(reader);
            }
        }

        // Orders are never deleted, so each id of the page is found again (at its version or a newer one).
        return page.Select(row => row.Known ?? fresh[row.Id]);
    }

    private static async Task<T> SingleAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? read(reader) : throw ApiException.NotFound("order");
    }
}

using TheOpenMoney.Api.Infrastructure;
using System.Text.Json.Nodes;
using TheOpenMoney.Api.Payments;
using TheOpenMoney.Api.Telegram;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>
/// One deposit address whose totals differ: what we stored and what the processor counts, in base units of
/// <paramref name="Currency"/> (the names predate USDT; runs stored before it read as TON).
/// </summary>
public sealed record AddressDifference(string UserId, string Address, long OursNanoton, long ProcessorNanoton, string Currency = PaymentCurrencies.Ton);

/// <summary>The solvency of one currency other than TON: what the processor holds of it and what we owe in it (base units); null holds when it could not be asked.</summary>
public sealed record CurrencyBook(string Currency, long? Holds, long Owes)
{
    public long Shortfall => Holds is { } holds ? Math.Max(0, Owes - holds) : 0;
}

/// <summary>
/// What a reconciliation run found. <see cref="Status"/>: <c>ok</c>; <c>mismatch</c> (an address differed in
/// this run and the one before); <c>shortfall</c> (the processor holds less than we owe); <c>unavailable</c>
/// (the processor could not be asked).
/// </summary>
public sealed record ReconciliationReport(
    DateTimeOffset RanAt,
    string Status,
    IReadOnlyList<AddressDifference> Differences,
    IReadOnlyList<AddressDifference> Persisting,
    long MismatchNanoton,
    long? HoldsNanoton,
    long OwesNanoton,
    IReadOnlyList<string> Notes,
    IReadOnlyList<CurrencyBook>? OtherBooks = null)
{
    /// <summary>What the processor holds short of what we owe (0 when it covers it, or when it could not be asked).</summary>
    public long ShortfallNanoton => HoldsNanoton is { } holds ? Math.Max(0, OwesNanoton - holds) : 0;

    public bool AllClear => Status == "ok" && Differences.Count == 0;

    /// <summary>The solvency of each currency other than TON (USDT), TON's being <see cref="HoldsNanoton"/> and <see cref="OwesNanoton"/>.</summary>
    public IReadOnlyList<CurrencyBook> Books => OtherBooks ?? [];

    /// <summary>The report for people (the CLI prints it; the operators' Telegram notice is its short form).</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"reconciliation {RanAt:yyyy-MM-ddTHH:mm:ssZ}: {Status}\n");
        text.Append(CultureInfo.InvariantCulture, $"  owed (balances, withdrawals not done, unmatched and held deposits): {TonAmount.FromNano(OwesNanoton)} TON\n");
        text.Append(HoldsNanoton is { } holds
            ? string.Create(CultureInfo.InvariantCulture, $"  held by the processor (hot wallet + not yet swept): {TonAmount.FromNano(holds)} TON{(ShortfallNanoton > 0 ? $", SHORT by {TonAmount.FromNano(ShortfallNanoton)} TON" : "")}\n")
            : "  held by the processor: could not be asked\n");
        foreach (var book in Books)
        {
            var owes = PaymentCurrencies.Coins(book.Currency, book.Owes);
            text.Append(book.Holds is { } held
                ? string.Create(CultureInfo.InvariantCulture, $"  {book.Currency}: owed {owes}, held {PaymentCurrencies.Coins(book.Currency, held)}{(book.Shortfall > 0 ? $", SHORT by {PaymentCurrencies.Coins(book.Currency, book.Shortfall)} {book.Currency}" : "")}\n")
                : string.Create(CultureInfo.InvariantCulture, $"  {book.Currency}: owed {owes}, held: could not be asked\n"));
        }

        foreach (var difference in Differences)
        {
            var persisting = Persisting.Any(p => p.Address == difference.Address && p.UserId == difference.UserId);
            var currency = difference.Currency;
            text.Append(CultureInfo.InvariantCulture, $"  {difference.UserId} {difference.Address}: ours {PaymentCurrencies.Coins(currency, difference.OursNanoton)} {currency}, processor {PaymentCurrencies.Coins(currency, difference.ProcessorNanoton)} {currency}{(persisting ? " (also in the run before: a MISMATCH)" : " (new: checked again next run)")}\n");
        }

        foreach (var note in Notes)
        {
            text.Append("  note: ").Append(note).Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>
/// The closed book, against the processor (API.md "Reconciliation"). For each user_id we use (orders,
/// top-ups), the processor's income per deposit address (<c>GET /v1/income</c>) is compared with what we
/// stored for that address (quarantined rows included); counted on the <c>hot_wallet</c> side the totals are
/// not comparable and the report says so. A difference found in two runs in a row is a mismatch; one seen
/// once (a deposit the poller has not reached yet) is only noted. Solvency: what the processor holds — the hot
/// wallet's balance (which still includes what is queued to leave) plus what our deposit addresses still
/// hold — must cover what we owe: every partner balance, partner withdrawals not done, unmatched deposits not
/// refunded, deposits held in quarantine. Each currency we take is its own book (USDT's income, hot wallet and
/// addresses apart from TON's; never added together). A mismatch or a shortfall is a warning in the log, the
/// metrics (TON's), health, and a message to the operators' chats.
/// </summary>
public sealed partial class Reconciler(
    NpgsqlDataSource dataSource,
    ProcessorWithdrawals processor,
    ITelegramMessenger messenger,
    MoneyOutMetrics metrics,
    TimeProvider time,
    IOptions<PaymentProcessorOptions> processorOptions,
    IOptions<ReconciliationOptions> options,
    ProcessorCurrencyNames currencyNames,
    ILogger<Reconciler> logger)
{
    public async Task<ReconciliationReport> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var notes = new List<string>();
        var differences = new List<AddressDifference>();
        var currencies = currencyNames.Codes;
        var owed = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var currency in currencies)
        {
            owed[currency] = await OwedAsync(currency, cancellationToken);
        }

        var held = new Dictionary<string, long>(StringComparer.Ordinal);
        var reachable = true;
        try
        {
            foreach (var currency in currencies)
            {
                foreach (var userId in new[] { processorOptions.Value.OrdersUserId, processorOptions.Value.TopupsUserId })
                {
                    var income = await processor.IncomeAsync(userId, currency, cancellationToken);
                    if (income.CountingSide != "deposit")
                    {
                        notes.Add($"{userId} ({currency}): the processor counts income on the {income.CountingSide} side; per-address totals are not comparable");
                        continue;
                    }

                    var ours = await StoredTotalsAsync(userId, currency, cancellationToken);
                    foreach (var address in ours.Keys.Union(income.ByAddress.Keys).Order(StringComparer.Ordinal))
                    {
                        var mine = ours.GetValueOrDefault(address);
                        var theirs = income.ByAddress.GetValueOrDefault(address);
                        if (mine != theirs)
                        {
                            differences.Add(new AddressDifference(userId, address, mine, theirs, currency));
                        }
                    }
                }

                held[currency] = await HeldAsync(currency, cancellationToken);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (ex is ProcessorException || HttpFailures.IsTransient(ex)))
        {
            reachable = false;
            notes.Add($"the processor could not be asked ({FailureKind.Of(ex)})");
        }

        var previous = reachable ? await PreviousDifferencesAsync(cancellationToken) : [];
        var persisting = differences.Where(d => previous.Any(p => p.UserId == d.UserId && p.Address == d.Address && p.Currency == d.Currency)).ToList();
        long? holds = reachable ? held[PaymentCurrencies.Ton] : null;
        var owes = owed[PaymentCurrencies.Ton];
        List<CurrencyBook> books = [.. currencies.Where(c => c != PaymentCurrencies.Ton).Select(c => new CurrencyBook(c, reachable ? held[c] : null, owed[c]))];
        var status = !reachable ? "unavailable"
            : persisting.Count > 0 ? "mismatch"
            : (holds is { } h && owes > h) || books.Any(b => b.Shortfall > 0) ? "shortfall"
            : "ok";
        var report = new ReconciliationReport(
            now,
            status,
            differences,
            persisting,
            persisting.Where(d => d.Currency == PaymentCurrencies.Ton).Sum(d => Math.Abs(d.OursNanoton - d.ProcessorNanoton)),
            holds,
            owes,
            notes,
            books);
        await StoreAsync(report, cancellationToken);
        metrics.Reconciled(report);
        if (status is "mismatch" or "shortfall")
        {
            LogUnbalanced(logger, status, report.MismatchNanoton, report.ShortfallNanoton);
            await messenger.NotifyOperatorsAsync(HtmlText.Format($"TheOpenMoney books: {report.Describe()}"), cancellationToken);
        }
        else if (persisting.Count == 0 && differences.Count > 0)
        {
            LogNewDifference(logger, differences.Count);
        }

        return report;
    }

    /// <summary>The latest run, if any (health reads it).</summary>
    public static async Task<(DateTimeOffset RanAt, string Status, JsonNode? Differences)?> LatestAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("SELECT ran_at, status, differences::text FROM reconciliation_runs ORDER BY id DESC LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), JsonNode.Parse(reader.GetString(2)))
            : null;
    }

    /// <summary>
    /// In <paramref name="currency"/>: every partner balance, partner withdrawals not done (amount + fee: given back in
    /// full if they fail), unmatched deposits, held quarantine (a row whose currency was never read counts as TON):
    /// live ones only (test mode's simulated money is owed to nobody and never held).
    /// </summary>
    private async Task<long> OwedAsync(string currency, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT (SELECT coalesce(sum(b.balance_nanoton), 0) FROM partner_balances b JOIN partners p ON p.id = b.partner_id WHERE p.livemode AND b.currency = $1)
                 + (SELECT coalesce(sum(amount_nanoton + fee_nanoton), 0) FROM withdrawals WHERE kind = 'partner' AND livemode AND status IN ('awaiting_confirmation', 'pending', 'sent') AND currency = $1)
                 + (SELECT coalesce(sum(unmatched_nanoton), 0) FROM deposits WHERE kind = 'unmatched' AND livemode AND currency = $1)
                 + (SELECT coalesce(sum(q.amount_nanoton), 0) FROM quarantined_deposits q
                     WHERE q.released_at IS NULL AND q.amount_nanoton IS NOT NULL AND q.received_via <> 'sandbox' AND coalesce(q.currency, 'TON') = $1
                       AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.tx_hash = q.tx_hash))
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = currency });
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>What we stored per deposit address of <paramref name="userId"/> in <paramref name="currency"/>: deposits, and held quarantine rows not stored (their address read from the raw row).</summary>
    private async Task<Dictionary<string, long>> StoredTotalsAsync(string userId, string currency, CancellationToken cancellationToken)
    {
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand(
            "SELECT deposit_address, sum(amount_nanoton)::bigint FROM deposits WHERE processor_user_id = $1 AND currency = $2 GROUP BY deposit_address"))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = userId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = currency });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                totals[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        await using (var held = dataSource.CreateCommand(
            """
            SELECT q.raw, q.amount_nanoton FROM quarantined_deposits q
             WHERE q.processor_user_id = $1 AND q.released_at IS NULL AND q.amount_nanoton IS NOT NULL AND coalesce(q.currency, 'TON') = $2
               AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.tx_hash = q.tx_hash)
            """))
        {
            held.Parameters.Add(new NpgsqlParameter<string> { TypedValue = userId });
            held.Parameters.Add(new NpgsqlParameter<string> { TypedValue = currency });
            await using var reader = await held.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (RawAddress(reader.GetFieldValue<byte[]>(0)) is { } address)
                {
                    totals[address] = totals.GetValueOrDefault(address) + reader.GetInt64(1);
                }
            }
        }

        return totals;
    }

    /// <summary>The deposit address of a held raw row, when it can be read.</summary>
    private static string? RawAddress(byte[] raw)
    {
        try
        {
            using var document = JsonDocument.Parse(raw, new JsonDocumentOptions { MaxDepth = 8 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("deposit_address", out var address)
                   && address.ValueKind == JsonValueKind.String
                   && TonAddress.IsValid(address.GetString())
                ? TonAddress.ToNonBounceable(address.GetString()!)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The hot wallet's <paramref name="currency"/>, plus what every deposit address of ours of that currency still holds (asked a few at a time).</summary>
    private async Task<long> HeldAsync(string currency, CancellationToken cancellationToken)
    {
        var hot = await processor.HotWalletAsync(currency, cancellationToken);
        var addresses = new List<string>();
        await using (var command = dataSource.CreateCommand("SELECT address FROM deposit_addresses WHERE livemode AND currency = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = currency });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                addresses.Add(reader.GetString(0));
            }
        }

        long unswept = 0;
        await Parallel.ForEachAsync(
            addresses,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.AddressConcurrency), CancellationToken = cancellationToken },
            async (address, token) => Interlocked.Add(ref unswept, await processor.AddressBalanceAsync(address, currency, token)));
        return checked(hot.Balance + unswept);
    }

    private async Task<List<AddressDifference>> PreviousDifferencesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT differences::text FROM reconciliation_runs WHERE status <> 'unavailable' ORDER BY id DESC LIMIT 1");
        return await command.ExecuteScalarAsync(cancellationToken) is string json
            ? JsonSerializer.Deserialize<List<AddressDifference>>(json, Infrastructure.Json.JsonDefaults.Shared) ?? []
            : [];
    }

    private async Task StoreAsync(ReconciliationReport report, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO reconciliation_runs (ran_at, status, differences, mismatch_nanoton, holds_nanoton, owes_nanoton, report)
            VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7::jsonb)
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = report.RanAt });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = report.Status });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(report.Differences, Infrastructure.Json.JsonDefaults.Shared) });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = report.MismatchNanoton });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)report.HoldsNanoton ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = report.OwesNanoton });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(report, Infrastructure.Json.JsonDefaults.Shared) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation: {Status} (mismatch {MismatchNanoton} nanoTON, shortfall {ShortfallNanoton} nanoTON); operators told")]
    private static partial void LogUnbalanced(ILogger logger, string status, long mismatchNanoton, long shortfallNanoton);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation: {Count} address(es) differ for the first time; checked again next run")]
    private static partial void LogNewDifference(ILogger logger, int count);
}

/// <summary>Runs <see cref="Reconciler"/> every <see cref="ReconciliationOptions.Interval"/> (one leader, lock <see cref="LeaderLockKey"/>).</summary>
public sealed class ReconciliationJob(Reconciler reconciler) : IBackgroundJob
{
    /// <summary>"TOM-RECN".</summary>
    internal const long LeaderLockKey = 0x544F4D2D5245434E;

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        await reconciler.RunAsync(cancellationToken);
        return JobOutcome.Idle;
    }
}

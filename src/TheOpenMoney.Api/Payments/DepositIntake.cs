
namespace TheOpenMoney.Api.Payments;

/// <summary>
/// What happened to a page of processor rows: <see cref="SettledUpTo"/> is the history offset below
/// which every row is applied, known or held in quarantine (the cursor may move there);
/// <see cref="Unsettled"/> counts rows that must be read again.
/// </summary>
public sealed record PageIntake(long SettledUpTo, int Applied, int Held, int Unsettled);

/// <summary>What became of one processor row at the intake.</summary>
public enum RowFate
{
    /// <summary>Stored and applied now (<see cref="RowSettlement.Outcome"/> says how).</summary>
    Applied,

    /// <summary>Applied before (by the poller, a push, or an earlier pass): nothing more to do.</summary>
    Known,

    /// <summary>Held in quarantine: it cannot be read, or the database refused it too many times in a row.</summary>
    Held,

    /// <summary>The database refused it this time (<see cref="RowSettlement.Failure"/>): to be read again.</summary>
    Unsettled,
}

/// <param name="Fate">What became of the row.</param>
/// <param name="Outcome">How it was applied (<see cref="RowFate.Applied"/> only).</param>
/// <param name="Failure">Why the database refused it (<see cref="RowFate.Unsettled"/> only).</param>
public sealed record RowSettlement(RowFate Fate, DepositOutcome? Outcome = null, Exception? Failure = null);

/// <summary>
/// The one door through which a deposit enters Payments, whoever brings it: a page of the poller, one
/// push the processor confirmed (the webhook, or a hint settled later), a deposit stored but not applied,
/// an operator's retry of a held row. Whatever comes in is settled the same way (<see cref="SettleAsync"/>):
/// rows that cannot be read are quarantined at once; the rest are stored and applied
/// (<see cref="DepositProcessor"/>; a page on <see cref="PaymentProcessorOptions.ApplyLanes"/> connections
/// at once), and a deposit the database refuses is counted towards quarantine
/// (<see cref="DepositQuarantine.CountFailureAsync"/>) and read again next time until it goes through or
/// is held. So nothing a row holds can block the rows after it. Deposits that could touch the same order
/// (same memo) or the same top-up account (same address) share a lane, so they are applied in the
/// processor's order.
/// </summary>
public sealed class DepositIntake(
    DepositProcessor deposits,
    DepositQuarantine quarantine,
    NpgsqlDataSource dataSource,
    TimeProvider time,
    IOptions<PaymentProcessorOptions> options)
{
    /// <summary>The <c>received_via</c> of simulated (test-mode) deposits; the database derives <c>livemode = false</c> from it.</summary>
    public const string SimulatedVia = "sandbox";

    /// <summary>Stored deposits applied per pass of <see cref="ApplyStoredAsync"/>.</summary>
    private const int StoredPerPass = 1000;

    /// <summary>A page of the poller's history (of <paramref name="userId"/>, starting at <paramref name="pageOffset"/>).</summary>
    public async Task<PageIntake> TakePageAsync(IReadOnlyList<IncomeRow> page, long pageOffset, string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var settled = await SettleAsync(page, userId, "poll", cancellationToken);
        var unsettledFrom = long.MaxValue;
        for (var i = 0; i < page.Count; i++)
        {
            if (settled[i].Fate == RowFate.Unsettled)
            {
                unsettledFrom = Math.Min(unsettledFrom, page[i].Offset);
            }
        }

        return new PageIntake(
            unsettledFrom == long.MaxValue ? pageOffset + page.Count : unsettledFrom,
            settled.Count(s => s.Fate == RowFate.Applied),
            settled.Count(s => s.Fate == RowFate.Held),
            settled.Count(s => s.Fate == RowFate.Unsettled));
    }

    /// <summary>One deposit the processor itself reported for a pushed tx_hash (at the push, or when its hint is settled later).</summary>
    public async Task<RowSettlement> TakeConfirmedAsync(IncomeRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        return (await SettleAsync([row], ProcessorClient.UnknownUserId, "webhook", cancellationToken))[0];
    }

    /// <summary>
    /// A simulated deposit of test mode (the sandbox routes): stored with <c>received_via = 'sandbox'</c>, which
    /// makes it a test deposit in the database, and settled exactly like a processor's row, so the same
    /// matching rules apply; the database matches it only to test addresses and test orders.
    /// </summary>
    public async Task<RowSettlement> TakeSimulatedAsync(IncomingDeposit deposit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deposit);
        return (await SettleAsync([new IncomeRow(0, deposit, null)], deposit.ProcessorUserId, SimulatedVia, cancellationToken))[0];
    }

    /// <summary>
    /// Deposits the webhook stored but could not apply are applied here (those held in quarantine
    /// are left alone); a failure counts towards quarantine as on the poll path.
    /// </summary>
    public async Task<int> ApplyStoredAsync(CancellationToken cancellationToken)
    {
        var pending = new List<(StoredDeposit Stored, IncomingDeposit Deposit)>();
        await using (var select = dataSource.CreateCommand(
            """
            SELECT d.tx_hash, d.deposit_address, d.comment, d.processor_user_id,
                   d.source_address, d.amount_nanoton, d.chain_time, d.comment_original, d.livemode, d.currency
              FROM deposits d
             WHERE d.applied_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM quarantined_deposits q WHERE q.tx_hash = d.tx_hash AND q.released_at IS NULL)
             ORDER BY d.id LIMIT $1
            """))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = StoredPerPass });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                // The exact comment: its stored bytes when the text column could not hold it.
                var comment = reader.IsDBNull(7)
                    ? reader.IsDBNull(2) ? null : reader.GetString(2)
                    : System.Text.Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(7));
                pending.Add((
                    new StoredDeposit(reader.GetString(0), reader.GetString(1), comment, reader.GetBoolean(8)),
                    new IncomingDeposit(
                        reader.GetString(0),
                        reader.GetString(3),
                        reader.GetString(1),
                        reader.IsDBNull(4) ? null : reader.GetString(4),
                        reader.GetInt64(5),
                        comment,
                        reader.GetFieldValue<DateTimeOffset>(6),
                        reader.GetString(9))));
            }
        }

        var results = await deposits.ApplyStoredAsync(pending.Select(p => p.Stored).ToList(), cancellationToken);
        var applied = 0;
        for (var i = 0; i < results.Count; i++)
        {
            applied += (await SettledAsync(pending[i].Deposit, "stored", results[i], cancellationToken)).Fate == RowFate.Applied ? 1 : 0;
        }

        return applied;
    }

    /// <summary>
    /// An operator's retry of a quarantined row (after a fix): it is read again as the processor sent
    /// it and applied like any deposit; on success it is released with how it was applied. The answer
    /// says what happened (the row stays held when it still cannot be read or applied).
    /// </summary>
    public async Task<(bool Released, string Message)> RetryAsync(long quarantineId, CancellationToken cancellationToken)
    {
        var held = await quarantine.FindHeldAsync(quarantineId, cancellationToken);
        if (held is null)
        {
            return (false, "no held quarantine entry with that id");
        }

        if (held.Reason.StartsWith(ProcessorClient.ForeignCurrencyReason, StringComparison.Ordinal))
        {
            // Its amount counts a currency we do not take: reading it again as one we do would credit the wrong money.
            return (false, "held for good: " + held.Reason);
        }

        IncomingDeposit deposit;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(held.Raw);
            // Read again in the currency it was read in (rows held before USDT existed were all TON's).
            if (!ProcessorIncome.TryRead(document.RootElement, held.ProcessorUserId, held.Currency ?? PaymentCurrencies.Ton, time.GetUtcNow(), out deposit, out var rejected))
            {
                return (false, "still unreadable: " + rejected.Reason);
            }
        }
        catch (System.Text.Json.JsonException)
        {
            return (false, "still unreadable: not JSON");
        }

        // Released first (apply_deposit leaves held deposits alone), held again if it still fails.
        await quarantine.ReleaseAsync(quarantineId, "retried by an operator", cancellationToken);
        var result = (await ApplyOnLanesAsync([deposit], held.ReceivedVia == "poll" ? "poll" : "webhook", cancellationToken))[0];
        if (result.Failure is { } failure)
        {
            await quarantine.HoldAgainAsync(quarantineId, cancellationToken);
            return (false, "the database still refuses it: " + Infrastructure.Data.DatabaseFailures.Kind(failure));
        }

        var note = result.Outcome is { } outcome ? "applied as " + outcome.Kind : "already stored and applied";
        await quarantine.ReleaseAsync(quarantineId, note, cancellationToken, force: true);
        return (true, note);
    }

    /// <summary>
    /// The settling every row goes through: unreadable rows held at once; the rest stored and applied (on
    /// lanes), each refusal counted towards quarantine. One answer per row, in order.
    /// </summary>
    private async Task<RowSettlement[]> SettleAsync(IReadOnlyList<IncomeRow> rows, string userId, string via, CancellationToken cancellationToken)
    {
        var settled = new RowSettlement[rows.Count];
        var rejected = rows.Where(r => r.Rejected is not null).Select(r => r.Rejected!).ToList();
        await quarantine.HoldRejectedAsync(rejected, userId, via, cancellationToken);
        // Rows held in quarantine before go through too: apply_deposit leaves them alone until an operator releases them.
        var readable = Enumerable.Range(0, rows.Count).Where(i => rows[i].Deposit is not null).ToList();
        var results = await ApplyOnLanesAsync(readable.Select(i => rows[i].Deposit!).ToList(), via, cancellationToken);
        for (var i = 0; i < rows.Count; i++)
        {
            settled[i] = new RowSettlement(RowFate.Held);
        }

        for (var j = 0; j < readable.Count; j++)
        {
            settled[readable[j]] = await SettledAsync(rows[readable[j]].Deposit!, via, results[j], cancellationToken);
        }

        return settled;
    }

    /// <summary>What one store-and-apply came to: applied, known, or refused — then counted, and held once refused too often.</summary>
    private async Task<RowSettlement> SettledAsync(IncomingDeposit deposit, string via, DepositResult result, CancellationToken cancellationToken)
    {
        if (result.Failure is not { } failure)
        {
            return result.Outcome is { } outcome ? new RowSettlement(RowFate.Applied, outcome) : new RowSettlement(RowFate.Known);
        }

        return await quarantine.CountFailureAsync(deposit, via, failure, cancellationToken)
            ? new RowSettlement(RowFate.Held)
            : new RowSettlement(RowFate.Unsettled, Failure: failure);
    }

    private async Task<DepositResult[]> ApplyOnLanesAsync(List<IncomingDeposit> page, string via, CancellationToken cancellationToken)
    {
        var results = new DepositResult[page.Count];
        if (page.Count == 0)
        {
            return results;
        }

        var lanes = new List<int>[Math.Clamp(Math.Min(options.Value.ApplyLanes, page.Count), 1, 64)];
        for (var i = 0; i < page.Count; i++)
        {
            var key = PaymentMemo.Normalize(page[i].Comment) ?? page[i].DepositAddress;
            var lane = (int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)lanes.Length);
            (lanes[lane] ??= []).Add(i);
        }

        await Task.WhenAll(lanes.Where(l => l is not null).Select(async lane =>
        {
            var laneResults = await deposits.RecordAndApplyAsync(lane.Select(i => page[i]).ToList(), via, cancellationToken);
            for (var j = 0; j < lane.Count; j++)
            {
                results[lane[j]] = laneResults[j];
            }
        }));
        return results;
    }
}

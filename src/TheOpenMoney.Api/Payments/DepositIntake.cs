using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// What happened to a page of processor rows: <see cref="SettledUpTo"/> is the history offset below
/// which every row is applied, known or held in quarantine (the cursor may move there);
/// <see cref="Unsettled"/> counts rows that must be read again.
/// </summary>
public sealed record PageIntake(long SettledUpTo, int Applied, int Held, int Unsettled);

/// <summary>
/// Takes the processor's rows in and makes sure none can block the ones after it: rows that cannot be
/// read are quarantined at once; rows already held are skipped; the rest are stored and applied on
/// <see cref="PaymentProcessorOptions.ApplyLanes"/> connections at once (<see cref="DepositProcessor"/>),
/// and a deposit the database refuses is counted towards quarantine
/// (<see cref="DepositQuarantine.CountFailureAsync"/>) and read again next time until it goes
/// through or is held. Deposits that could touch the same order (same memo) or the same top-up
/// account (same address) share a lane, so they are applied in the processor's order.
/// </summary>
public sealed class DepositIntake(
    DepositProcessor deposits,
    DepositQuarantine quarantine,
    NpgsqlDataSource dataSource,
    TimeProvider time,
    IOptions<PaymentProcessorOptions> options)
{
    /// <summary>Stored deposits applied per pass of <see cref="ApplyStoredAsync"/>.</summary>
    private const int StoredPerPass = 1000;

    public async Task<PageIntake> TakePageAsync(IReadOnlyList<IncomeRow> page, long pageOffset, string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var rejected = page.Where(r => r.Rejected is not null).Select(r => r.Rejected!).ToList();
        await quarantine.HoldRejectedAsync(rejected, userId, "poll", cancellationToken);
        // Rows held in quarantine go through too: apply_deposit leaves them alone until an operator releases them.
        var toApply = page.Where(r => r.Deposit is not null).ToList();
        var results = await ApplyOnLanesAsync(toApply.Select(r => r.Deposit!).ToList(), cancellationToken);

        var unsettledFrom = long.MaxValue;
        var applied = 0;
        var newlyHeld = 0;
        var unsettled = 0;
        for (var i = 0; i < toApply.Count; i++)
        {
            var (row, result) = (toApply[i], results[i]);
            if (result.Failure is null)
            {
                applied += result.Outcome is null ? 0 : 1;
            }
            else if (await quarantine.CountFailureAsync(row.Deposit!, "poll", result.Failure, cancellationToken))
            {
                newlyHeld++;
            }
            else
            {
                unsettledFrom = Math.Min(unsettledFrom, row.Offset);
                unsettled++;
            }
        }

        return new PageIntake(
            unsettledFrom == long.MaxValue ? pageOffset + page.Count : unsettledFrom,
            applied,
            rejected.Count + newlyHeld,
            unsettled);
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
                   d.source_address, d.amount_nanoton, d.chain_time, d.comment_original
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
                    new StoredDeposit(reader.GetString(0), reader.GetString(1), comment),
                    new IncomingDeposit(
                        reader.GetString(0),
                        reader.GetString(3),
                        reader.GetString(1),
                        reader.IsDBNull(4) ? null : reader.GetString(4),
                        reader.GetInt64(5),
                        comment,
                        reader.GetFieldValue<DateTimeOffset>(6))));
            }
        }

        var results = await deposits.ApplyStoredAsync(pending.Select(p => p.Stored).ToList(), cancellationToken);
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].Failure is { } failure)
            {
                await quarantine.CountFailureAsync(pending[i].Deposit, "stored", failure, cancellationToken);
            }
        }

        return results.Count(r => r.Outcome is not null);
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

        IncomingDeposit deposit;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(held.Raw);
            if (!ProcessorIncome.TryRead(document.RootElement, held.ProcessorUserId, time.GetUtcNow(), out deposit, out var rejected))
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
        var result = (await deposits.RecordAndApplyAsync([deposit], held.ReceivedVia == "poll" ? "poll" : "webhook", cancellationToken))[0];
        if (result.Failure is { } failure)
        {
            await quarantine.HoldAgainAsync(quarantineId, cancellationToken);
            return (false, "the database still refuses it: " + Infrastructure.Data.DatabaseFailures.Kind(failure));
        }

        var note = result.Outcome is { } outcome ? "applied as " + outcome.Kind : "already stored and applied";
        await quarantine.ReleaseAsync(quarantineId, note, cancellationToken, force: true);
        return (true, note);
    }

    private async Task<DepositResult[]> ApplyOnLanesAsync(List<IncomingDeposit> page, CancellationToken cancellationToken)
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
            var laneResults = await deposits.RecordAndApplyAsync(lane.Select(i => page[i]).ToList(), "poll", cancellationToken);
            for (var j = 0; j < lane.Count; j++)
            {
                results[lane[j]] = laneResults[j];
            }
        }));
        return results;
    }
}

namespace TheOpenMoney.Api.Payments;

/// <summary>What the webhook did with one push.</summary>
public static class WebhookStatus
{
    /// <summary>The processor confirmed it and it was applied now (<c>kind</c> says how).</summary>
    public const string Applied = "applied";

    /// <summary>The processor confirmed it; it had been stored before (by the poller or an earlier push).</summary>
    public const string Known = "known";

    /// <summary>The processor does not know this tx_hash: nothing is credited.</summary>
    public const string Unknown = "unknown";

    /// <summary>The processor could not be asked: the hint is kept and the poller settles it.</summary>
    public const string Deferred = "deferred";

    /// <summary>The processor's own row for it cannot be read (or is held): quarantined for operators.</summary>
    public const string Quarantined = "quarantined";
}

/// <summary>
/// The webhook is a hint, the processor is the truth. A push names a tx_hash; the deposit applied is
/// the one the processor itself reports for it (<c>GET /v1/deposit/income?tx_hash=</c>): its amount,
/// address and comment, never the push body's. So a leaked webhook token cannot mint TON: a tx_hash
/// the processor does not know credits nothing (a warning and a metric), and an inflated push for a
/// real one credits what the processor says, once. This class only confirms: what the processor
/// reported enters through <see cref="DepositIntake"/>, the one door every deposit takes (quarantine
/// included). When the processor cannot be asked, or the database is unavailable, only the tx_hash is
/// kept (<c>deposit_hints</c>) and the poller settles it.
/// </summary>
public sealed partial class WebhookDeposits(
    ProcessorClient processor,
    DepositIntake intake,
    NpgsqlDataSource dataSource,
    [FromKeyedServices(DataSources.Reads)] NpgsqlDataSource reads,
    PaymentMetrics metrics,
    TimeProvider time,
    ILogger<WebhookDeposits> logger)
{
    /// <summary>Hints older than this are closed as expired (the poller's full rescans have long since read the real ones).</summary>
    private static readonly TimeSpan HintLifetime = TimeSpan.FromDays(7);

    private const int HintsPerPass = 100;

    /// <summary>
    /// Confirms a pushed tx_hash with the processor and applies what the processor reports. A deposit
    /// already applied (the poller read it first, or the push is a repeat) needs no confirmation: nothing
    /// more can be credited for it, so the processor is not asked again.
    /// </summary>
    public async Task<(string Status, string? Kind)> ConfirmAsync(string txHash, CancellationToken cancellationToken)
    {
        if (await IsAppliedAsync(txHash, cancellationToken))
        {
            return Report(WebhookStatus.Known);
        }

        IncomeRow? row;
        try
        {
            row = await processor.IncomeAsync(txHash, cancellationToken);
        }
        catch (Exception ex) when (IsProcessorFailure(ex, cancellationToken))
        {
            await KeepHintAsync(txHash, cancellationToken);
            LogDeferred(logger, txHash, ex.GetType().Name);
            return Report(WebhookStatus.Deferred);
        }

        var (status, kind) = await SettleAsync(txHash, row, "webhook", cancellationToken);
        return Report(status, kind);
    }

    /// <summary>Asks the processor again about the hints it could not confirm; returns how many were settled.</summary>
    public async Task<int> SettleHintsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var open = new List<(string TxHash, DateTimeOffset ReceivedAt)>();
        await using (var select = dataSource.CreateCommand(
            "SELECT tx_hash, received_at FROM deposit_hints WHERE settled_at IS NULL ORDER BY received_at LIMIT $1"))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = HintsPerPass });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                open.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
            }
        }

        var settled = 0;
        foreach (var (txHash, receivedAt) in open)
        {
            if (now - receivedAt > HintLifetime)
            {
                await CloseHintAsync(txHash, "expired", cancellationToken);
                settled++;
                continue;
            }

            IncomeRow? row;
            try
            {
                row = await processor.IncomeAsync(txHash, cancellationToken);
            }
            catch (Exception ex) when (IsProcessorFailure(ex, cancellationToken))
            {
                await using var attempt = dataSource.CreateCommand(
                    "UPDATE deposit_hints SET attempts = attempts + 1, last_attempt_at = $2 WHERE tx_hash = $1");
                attempt.Parameters.Add(new NpgsqlParameter { Value = txHash });
                attempt.Parameters.Add(new NpgsqlParameter { Value = now });
                await attempt.ExecuteNonQueryAsync(cancellationToken);
                break; // still unreachable: the next pass tries again
            }

            var (status, _) = await SettleAsync(txHash, row, "hint", cancellationToken);
            metrics.WebhookDeposit(status);
            if (status != WebhookStatus.Deferred)
            {
                await CloseHintAsync(txHash, status, cancellationToken);
                settled++;
            }
        }

        return settled;
    }

    private static bool IsProcessorFailure(Exception exception, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && (exception is ProcessorException || HttpFailures.IsTransient(exception));

    /// <summary>Hands what the processor reported for a pushed tx_hash (null: it does not know it) to the intake, and says what came of it.</summary>
    private async Task<(string Status, string? Kind)> SettleAsync(string txHash, IncomeRow? row, string via, CancellationToken cancellationToken)
    {
        if (row is null)
        {
            LogUnknown(logger, txHash);
            return (WebhookStatus.Unknown, null);
        }

        // Stored and applied in one transaction, like a history row: the processor has confirmed it, and the
        // 200 promises nothing the poller would not find again (it reads the history from its cursor).
        var settled = await intake.TakeConfirmedAsync(row, cancellationToken);
        switch (settled.Fate)
        {
            case RowFate.Applied:
                return (WebhookStatus.Applied, settled.Outcome!.Kind);
            case RowFate.Known:
                return (WebhookStatus.Known, null);
            case RowFate.Held:
                return (WebhookStatus.Quarantined, null);
            default:
                if (DatabaseFailures.IsUnavailable(settled.Failure!))
                {
                    // A passing conflict or a database in trouble: keep the hint (if even that fails, the push is answered 503).
                    LogApplyDeferred(logger, txHash, via, DatabaseFailures.Kind(settled.Failure!));
                    await KeepHintAsync(txHash, cancellationToken);
                }

                // Refused by the database: counted towards quarantine by the intake; the poller reads it again.
                return (WebhookStatus.Deferred, null);
        }
    }

    private (string Status, string? Kind) Report(string status, string? kind = null)
    {
        metrics.WebhookDeposit(status);
        return (status, kind);
    }

    private async Task<bool> IsAppliedAsync(string txHash, CancellationToken cancellationToken)
    {
        await using var command = reads.CreateCommand("SELECT 1 FROM deposits WHERE tx_hash = $1 AND applied_at IS NOT NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = txHash });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private async Task KeepHintAsync(string txHash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO deposit_hints (tx_hash, received_at) VALUES ($1, $2) ON CONFLICT (tx_hash) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = txHash });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task CloseHintAsync(string txHash, string outcome, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE deposit_hints SET settled_at = $2, outcome = $3, attempts = attempts + 1, last_attempt_at = $2 WHERE tx_hash = $1 AND settled_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = txHash });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcome == WebhookStatus.Applied ? "applied" : outcome });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook push for tx_hash {TxHash} is unknown to the processor: nothing credited")]
    private static partial void LogUnknown(ILogger logger, string txHash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook push for tx_hash {TxHash} could not be confirmed ({Error}); kept as a hint for the poller")]
    private static partial void LogDeferred(ILogger logger, string txHash, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deposit {TxHash} ({Via}) confirmed by the processor could not be applied now ({Kind}); kept as a hint for the poller")]
    private static partial void LogApplyDeferred(ILogger logger, string txHash, string via, string kind);
}

using TheOpenMoney.Api.Balance;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>What a press of Confirm came to.</summary>
public enum ConfirmOutcome
{
    Confirmed,
    AlreadyConfirmed,
    TooLate,
    NotAwaiting,
}

/// <summary>
/// The withdrawal state machine's owner: every statement that writes <c>withdrawals</c> — or decides what
/// becomes of an unmatched deposit (<c>deposits.decision</c>: refunding, refunded, refund_failed, keep,
/// unrefundable; <c>assign</c> is the database's <c>assign_unmatched_deposit</c>) — is in this file,
/// and each makes a move of <see cref="WithdrawalMachine"/> (read it first) as a guarded statement
/// (<c>UPDATE … WHERE status = …</c>) in one transaction with the money it moves (<see cref="UnitOfWork"/>),
/// so repeating one is harmless and two racing callers cannot both win. The <c>tr_withdrawals_events</c>
/// trigger writes <c>withdrawal.completed</c> / <c>withdrawal.failed</c> in the same transaction.
/// </summary>
public sealed class WithdrawalLifecycle(
    AppDbContext db,
    UnitOfWork unitOfWork,
    BalanceLedger ledger,
    MoneyOutMetrics metrics,
    TimeProvider time)
{
    private static string Text(WithdrawalStatus status) => WithdrawalMachine.Text(status);

    /// <summary>
    /// (new) → awaiting_confirmation: amount + fee held from the partner's balance in <paramref name="currency"/> at
    /// once (409 <c>INSUFFICIENT_BALANCE</c>), within that currency's daily limit (409 <c>WITHDRAWAL_LIMIT</c>); nothing
    /// is written otherwise. Amounts are base units of <paramref name="currency"/>.
    /// </summary>
    public Task<Withdrawal> RequestAsync(
        long partnerId, bool livemode, string currency, long amountNanoton, long feeNanoton, string destination, DateTimeOffset confirmBy, byte[] confirmSalt, long dailyLimitNanoton, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                await ledger.EnsureAccountAsync(partnerId, token);
                // The balance row's lock queues this partner's requests: the limit and the hold are decided one at a time.
                // The TON row always exists (EnsureAccountAsync); a USDT one from its first credit: none is a zero balance.
                long balance;
                await using (var locked = db.Command("SELECT balance_nanoton FROM partner_balances WHERE partner_id = $1 AND currency = $2 FOR UPDATE", partnerId, currency))
                {
                    balance = await locked.ExecuteScalarAsync(token) is long held ? held : 0;
                }

                // The balance first (what the partner can fix by topping up), then the limit; the hold below checks again.
                if (balance < amountNanoton + feeNanoton)
                {
                    throw InsufficientBalance(currency, amountNanoton, feeNanoton);
                }

                long recent;
                await using (var sum = db.Command(
                    """
                    SELECT coalesce(sum(amount_nanoton), 0)::bigint FROM withdrawals
                     WHERE partner_id = $1 AND kind = 'partner' AND created_at > $2 AND NOT (status = ANY ($3)) AND currency = $4
                    """,
                    partnerId,
                    now - TimeSpan.FromDays(1),
                    WithdrawalMachine.Reversed.Select(Text).ToArray(),
                    currency))
                {
                    recent = (long)(await sum.ExecuteScalarAsync(token))!;
                }

                if (recent + amountNanoton > dailyLimitNanoton)
                {
                    throw ApiException.Conflict(
                        ErrorCodes.WithdrawalLimit,
                        $"{currency} withdrawals are limited to {PaymentCurrencies.Coins(currency, dailyLimitNanoton)} {currency} per 24 hours; {PaymentCurrencies.Coins(currency, Math.Max(0, dailyLimitNanoton - recent))} {currency} is left now");
                }

                Withdrawal created;
                await using (var insert = db.Command(
                    $"""
                     INSERT INTO withdrawals (id, kind, partner_id, status, amount_nanoton, fee_nanoton, destination, query_id,
                                              confirm_salt, confirm_by, created_at, updated_at, livemode, currency)
                     OVERRIDING SYSTEM VALUE
                     SELECT n, 'partner', $1, $2, $3, $4, $5, 'wd-' || n, $6, $7, $8, $8, $9, $10
                       FROM (SELECT nextval(pg_get_serial_sequence('withdrawals', 'id')) AS n) s
                     RETURNING {Withdrawal.Columns}
                     """,
                    partnerId,
                    Text(WithdrawalMachine.Request.To),
                    amountNanoton,
                    feeNanoton,
                    destination,
                    confirmSalt,
                    confirmBy,
                    now,
                    livemode,
                    currency))
                {
                    await using var reader = await insert.ExecuteReaderAsync(token);
                    await reader.ReadAsync(token);
                    created = Withdrawal.Read(reader);
                }

                var hold = new LedgerChange(
                    partnerId, LedgerEntryType.Withdrawal, -(amountNanoton + feeNanoton), Description: $"withdrawal {created.Id} to {destination} (fee included)", WithdrawalId: created.Id, Currency: currency);
                if (await ledger.TryApplyAsync(hold, token) is null)
                {
                    throw InsufficientBalance(currency, amountNanoton, feeNanoton);
                }

                unitOfWork.AfterCommit(() => metrics.Moved(WithdrawalMachine.Request, WithdrawalKind.Partner));
                return created;
            },
            cancellationToken);

    private static ApiException InsufficientBalance(string currency, long amount, long fee) =>
        ApiException.Conflict(
            ErrorCodes.InsufficientBalance,
            $"{currency} balance is insufficient for this withdrawal ({PaymentCurrencies.Coins(currency, amount)} {currency} and a {PaymentCurrencies.Coins(currency, fee)} {currency} fee)");

    /// <summary>The message that asks the partner to confirm, once sent (only the first one is kept).</summary>
    public Task<bool> AttachConfirmationMessageAsync(long id, long chatId, long messageId, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token => await db.ExecuteAsync(
                "UPDATE withdrawals SET telegram_chat_id = $2, telegram_message_id = $3, updated_at = $4 WHERE id = $1 AND telegram_message_id IS NULL",
                token,
                id,
                chatId,
                messageId,
                time.GetUtcNow()) == 1,
            cancellationToken);

    /// <summary>awaiting_confirmation → pending, for a press the caller has judged genuine (who, where, the secret).</summary>
    public Task<ConfirmOutcome> ConfirmAsync(long id, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                await using (var confirm = db.Command(
                    "UPDATE withdrawals SET status = $2, confirmed_at = $3, updated_at = $3, next_check_at = $3 WHERE id = $1 AND status = $4 AND confirm_by > $3 AND livemode",
                    id,
                    Text(WithdrawalMachine.Confirm.To),
                    now,
                    Text(WithdrawalMachine.Confirm.From[0])))
                {
                    if (await confirm.ExecuteNonQueryAsync(token) == 1)
                    {
                        unitOfWork.AfterCommit(() => metrics.Moved(WithdrawalMachine.Confirm, WithdrawalKind.Partner));
                        return ConfirmOutcome.Confirmed;
                    }
                }

                await using var state = db.Command("SELECT status FROM withdrawals WHERE id = $1", id);
                return await state.ExecuteScalarAsync(token) is string status
                    ? EnumText<WithdrawalStatus>.Parse(status) switch
                    {
                        WithdrawalStatus.AwaitingConfirmation => ConfirmOutcome.TooLate,
                        WithdrawalStatus.Pending or WithdrawalStatus.Sent or WithdrawalStatus.Completed => ConfirmOutcome.AlreadyConfirmed,
                        _ => ConfirmOutcome.NotAwaiting,
                    }
                    : ConfirmOutcome.NotAwaiting;
            },
            cancellationToken);

    /// <summary>
    /// awaiting_confirmation, or pending never asked of the processor → cancelled, the hold given back.
    /// Null when there is no such withdrawal of this partner; otherwise the row as it is now and whether this call cancelled it.
    /// </summary>
    public Task<(Withdrawal Now, bool Cancelled)?> CancelAsync(long partnerId, long id, string reason, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync<(Withdrawal Now, bool Cancelled)?>(
            async token =>
            {
                var now = time.GetUtcNow();
                var cancelled = await EndWithoutSendingAsync(
                    "WHERE id = $4 AND partner_id = $5 AND (status = $6 OR (status = $7 AND processor_calls = 0))",
                    WithdrawalMachine.Cancel,
                    "cancelled_at",
                    reason,
                    now,
                    [id, partnerId, Text(WithdrawalMachine.Cancel.From[0]), Text(WithdrawalMachine.Cancel.From[1])],
                    token);
                if (cancelled.Count == 1)
                {
                    return (cancelled[0], true);
                }

                await using var current = db.Command($"SELECT {Withdrawal.Columns} FROM withdrawals WHERE id = $1 AND partner_id = $2", id, partnerId);
                await using var reader = await current.ExecuteReaderAsync(token);
                return await reader.ReadAsync(token) ? (Withdrawal.Read(reader), false) : null;
            },
            cancellationToken);

    /// <summary>awaiting_confirmation past confirm_by → expired, each with its hold given back; the withdrawals expired.</summary>
    public Task<IReadOnlyList<Withdrawal>> ExpireDueAsync(int limit, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                IReadOnlyList<Withdrawal> expired = await EndWithoutSendingAsync(
                    "WHERE id IN (SELECT id FROM withdrawals WHERE status = $4 AND confirm_by <= $2 ORDER BY confirm_by LIMIT $5 FOR UPDATE SKIP LOCKED) AND status = $4",
                    WithdrawalMachine.Expire,
                    "expired_at",
                    "not confirmed in time",
                    now,
                    [Text(WithdrawalMachine.Expire.From[0]), limit],
                    token);
                return expired;
            },
            cancellationToken);

    /// <summary>
    /// An unmatched deposit whose sender cannot be read: never refunded on its own (left to the operators).
    /// False when something was decided for it already.
    /// </summary>
    public Task<bool> MarkUnrefundableAsync(long depositId, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token => await db.ExecuteAsync(
                "UPDATE deposits SET decision = 'unrefundable', decided_at = $2 WHERE id = $1 AND kind = 'unmatched' AND decision IS NULL",
                token,
                depositId,
                time.GetUtcNow()) == 1,
            cancellationToken);

    /// <summary>
    /// An operator's <c>deposits keep</c>: an unmatched deposit with nothing decided, whose refund failed, or whose
    /// sender cannot be read is never refunded. False when there is none such (assigned, kept, refunded or being refunded).
    /// </summary>
    public Task<bool> KeepAsync(string txHash, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token => await db.ExecuteAsync(
                """
                UPDATE deposits SET decision = 'keep', decided_at = $2
                 WHERE tx_hash = $1 AND kind = 'unmatched' AND (decision IS NULL OR decision IN ('refund_failed', 'unrefundable'))
                """,
                token,
                txHash,
                time.GetUtcNow()) > 0,
            cancellationToken);

    /// <summary>
    /// (new) → pending refund of an unmatched deposit: amount = what it holds minus <paramref name="feeNanoton"/>,
    /// to <paramref name="destination"/>. The deposit must be a live one (a simulated deposit is never sent
    /// anywhere), unmatched with nothing decided, or
    /// (<paramref name="afterFailedRefund"/>, an operator) its last refund failed. Null when it is not (nothing written).
    /// </summary>
    public Task<Withdrawal?> QueueRefundAsync(long depositId, string currency, long feeNanoton, string destination, string comment, bool afterFailedRefund, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                await using var queue = db.Command(
                    $"""
                     WITH deposit AS (
                         UPDATE deposits SET decision = 'refunding', decided_at = $4
                          WHERE id = $1 AND kind = 'unmatched' AND unmatched_nanoton > $2 AND livemode AND currency = $8
                            AND (decision IS NULL OR ($6 AND decision IN ('refund_failed', 'unrefundable')))
                         RETURNING id, unmatched_nanoton, currency
                     )
                     INSERT INTO withdrawals (id, kind, deposit_id, status, amount_nanoton, fee_nanoton, destination, comment, query_id, created_at, updated_at, next_check_at, currency)
                     OVERRIDING SYSTEM VALUE
                     SELECT n, 'refund', deposit.id, $5, deposit.unmatched_nanoton - $2, $2, $3, $7, 'refund-' || n, $4, $4, $4, deposit.currency
                       FROM deposit, (SELECT nextval(pg_get_serial_sequence('withdrawals', 'id')) AS n) s
                     RETURNING {Withdrawal.Columns}
                     """,
                    depositId,
                    feeNanoton,
                    destination,
                    now,
                    Text(WithdrawalMachine.QueueRefund.To),
                    afterFailedRefund,
                    comment,
                    currency);
                await using var reader = await queue.ExecuteReaderAsync(token);
                if (!await reader.ReadAsync(token))
                {
                    return null;
                }

                var refund = Withdrawal.Read(reader);
                unitOfWork.AfterCommit(() => metrics.Moved(WithdrawalMachine.QueueRefund, WithdrawalKind.Refund));
                return refund;
            },
            cancellationToken);

    /// <summary>
    /// A pending withdrawal about to be asked of the processor: counted as asked before the question leaves
    /// (committed), so a partner can no longer cancel it and a crash is followed by asking again with the same
    /// query_id. Null when it is not pending any more.
    /// </summary>
    public Task<Withdrawal?> BeginSendAsync(long id, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                await using var claim = db.Command(
                    $"UPDATE withdrawals SET processor_calls = processor_calls + 1, updated_at = $3 WHERE id = $1 AND status = $2 RETURNING {Withdrawal.Columns}",
                    id,
                    Text(WithdrawalMachine.Send.From[0]),
                    time.GetUtcNow());
                await using var reader = await claim.ExecuteReaderAsync(token);
                return await reader.ReadAsync(token) ? Withdrawal.Read(reader) : null;
            },
            cancellationToken);

    /// <summary>pending → sent, under the processor's id (null: it already had our query_id, its id unknown).</summary>
    public Task<bool> MarkSentAsync(long id, long? processorId, DateTimeOffset checkAt, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                await using var sent = db.Command(
                    """
                    UPDATE withdrawals SET status = $2, processor_id = $3, processor_id_unknown = ($3 IS NULL), sent_at = $4, updated_at = $4, next_check_at = $5
                     WHERE id = $1 AND status = $6
                    RETURNING kind
                    """,
                    id,
                    Text(WithdrawalMachine.Send.To),
                    processorId,
                    now,
                    checkAt,
                    Text(WithdrawalMachine.Send.From[0]));
                sent.Parameters[2].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint;
                if (await sent.ExecuteScalarAsync(token) is not string kind)
                {
                    return false;
                }

                unitOfWork.AfterCommit(() => metrics.Moved(WithdrawalMachine.Send, EnumText<WithdrawalKind>.Parse(kind)));
                return true;
            },
            cancellationToken);

    /// <summary>A sent withdrawal the processor is still working on: asked again at <paramref name="checkAt"/>.</summary>
    public Task CheckAgainAtAsync(long id, DateTimeOffset checkAt, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token => await db.ExecuteAsync("UPDATE withdrawals SET next_check_at = $2 WHERE id = $1 AND status IN ('pending', 'sent')", token, id, checkAt),
            cancellationToken);

    /// <summary>sent → completed with the transaction's hash; a refund's deposit is then refunded (its amount and fee leave unmatched).</summary>
    public Task<bool> CompleteAsync(long id, string txHash, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                await using var complete = db.Command(
                    """
                    WITH done AS (
                        UPDATE withdrawals SET status = $2, tx_hash = $3, completed_at = $4, updated_at = $4, next_check_at = NULL
                         WHERE id = $1 AND status = $5
                        RETURNING kind, deposit_id, amount_nanoton, fee_nanoton
                    ), refunded AS (
                        UPDATE deposits d
                           SET decision = 'refunded', decided_at = $4, unmatched_nanoton = d.unmatched_nanoton - done.amount_nanoton - done.fee_nanoton,
                               refunded_nanoton = done.amount_nanoton, refund_fee_nanoton = done.fee_nanoton
                          FROM done WHERE done.kind = 'refund' AND d.id = done.deposit_id
                    )
                    SELECT kind FROM done
                    """,
                    id,
                    Text(WithdrawalMachine.Complete.To),
                    txHash,
                    now,
                    Text(WithdrawalMachine.Complete.From[0]));
                if (await complete.ExecuteScalarAsync(token) is not string kind)
                {
                    return false;
                }

                unitOfWork.AfterCommit(() => metrics.Moved(WithdrawalMachine.Complete, EnumText<WithdrawalKind>.Parse(kind)));
                return true;
            },
            cancellationToken);

    /// <summary>
    /// A test withdrawal settled by the sandbox (its stand-in for Confirm and for the processor): awaiting_confirmation
    /// → completed with a made-up tx_hash, or → failed with the hold given back when the amount ends in .13. Only
    /// a test withdrawal of this (test) partner moves; null when there is none with that id, otherwise the row as it
    /// is now and whether this call settled it.
    /// </summary>
    public Task<(Withdrawal Now, bool Settled)?> SettleInSandboxAsync(long partnerId, long id, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync<(Withdrawal Now, bool Settled)?>(
            async token =>
            {
                var now = time.GetUtcNow();
                long amount;
                string currency;
                await using (var locked = db.Command(
                    "SELECT amount_nanoton, currency FROM withdrawals WHERE id = $1 AND partner_id = $2 AND NOT livemode FOR UPDATE", id, partnerId))
                {
                    await using var found = await locked.ExecuteReaderAsync(token);
                    if (!await found.ReadAsync(token))
                    {
                        return null;
                    }

                    (amount, currency) = (found.GetInt64(0), found.GetString(1));
                }

                const string Guard = "WHERE id = $4 AND status = $5 AND NOT livemode AND confirm_by > $2";
                var awaiting = Text(WithdrawalMachine.CompleteInSandbox.From[0]);
                var coins = PaymentCurrencies.Coins(currency, amount);
                if (coins * 100 % 100 == 13)
                {
                    var failed = await EndWithoutSendingAsync(
                        Guard, WithdrawalMachine.FailInSandbox, "failed_at", currency == PaymentCurrencies.Ton ? "the sandbox failed it: amount_ton ends in .13" : "the sandbox failed it: amount_usdt ends in .13", now, [id, awaiting], token);
                    if (failed.Count == 1)
                    {
                        return (failed[0], true);
                    }
                }
                else
                {
                    await using var complete = db.Command(
                        $"""
                         UPDATE withdrawals SET status = $1, confirmed_at = $2, sent_at = $2, completed_at = $2, updated_at = $2, tx_hash = $3, next_check_at = NULL
                          {Guard}
                         RETURNING {Withdrawal.Columns}
                         """,
                        Text(WithdrawalMachine.CompleteInSandbox.To),
                        now,
                        "sandbox-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(28)),
                        id,
                        awaiting);
                    await using var reader = await complete.ExecuteReaderAsync(token);
                    if (await reader.ReadAsync(token))
                    {
                        var completed = Withdrawal.Read(reader);
                        unitOfWork.AfterCommit(() => metrics.Moved(WithdrawalMachine.CompleteInSandbox, WithdrawalKind.Partner));
                        return (completed, true);
                    }
                }

                await using var current = db.Command($"SELECT {Withdrawal.Columns} FROM withdrawals WHERE id = $1", id);
                await using var row = await current.ExecuteReaderAsync(token);
                await row.ReadAsync(token);
                return (Withdrawal.Read(row), false);
            },
            cancellationToken);

    /// <summary>
    /// pending | sent → failed (the processor refused or failed it): a partner's hold given back in full, a
    /// refund's deposit handed back to the operators (decision refund_failed: never refunded again on its own).
    /// </summary>
    public Task<Withdrawal?> FailAsync(long id, string reason, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token =>
            {
                var now = time.GetUtcNow();
                var failed = await EndWithoutSendingAsync(
                    "WHERE id = $4 AND status IN ($5, $6)",
                    WithdrawalMachine.FailAtProcessor,
                    "failed_at",
                    reason,
                    now,
                    [id, Text(WithdrawalMachine.Refuse.From[0]), Text(WithdrawalMachine.FailAtProcessor.From[0])],
                    token);
                return failed.Count == 1 ? failed[0] : null;
            },
            cancellationToken);

    /// <summary>
    /// The processor's id of a withdrawal it already had when asked again, found by the engine or named by an
    /// operator (then its outcome is followed). False when the row is not such a one, or another row has that id.
    /// </summary>
    public Task<bool> LinkProcessorIdAsync(long id, long processorId, CancellationToken cancellationToken) =>
        unitOfWork.RunAsync(
            async token => await db.ExecuteAsync(
                """
                UPDATE withdrawals SET processor_id = $2, processor_id_unknown = false, next_check_at = $3, updated_at = $3
                 WHERE id = $1 AND status = 'sent' AND processor_id_unknown AND NOT EXISTS (SELECT 1 FROM withdrawals WHERE processor_id = $2)
                """,
                token,
                id,
                processorId,
                time.GetUtcNow()) == 1,
            cancellationToken);

    /// <summary>
    /// The step every end without sending shares (cancel, expire, fail): the status and its time, the reason,
    /// and in the same transaction a partner's hold given back in full (ledger withdrawal_reversal; a unique
    /// index makes it once) or a refund's deposit handed back (refund_failed). <paramref name="where"/> selects
    /// the rows: $1 is the new status, $2 now, $3 the reason, and <paramref name="parameters"/> follow from $4.
    /// </summary>
    private async Task<List<Withdrawal>> EndWithoutSendingAsync(
        string where, WithdrawalTransition move, string timeColumn, string reason, DateTimeOffset now, object?[] parameters, CancellationToken cancellationToken)
    {
        var ended = new List<Withdrawal>();
        await using (var end = db.Command(
            $"""
             WITH ended AS (
                 UPDATE withdrawals SET status = $1, {timeColumn} = $2, updated_at = $2, next_check_at = NULL, failure_reason = left($3, 500)
                  {where}
                 RETURNING {Withdrawal.Columns}
             ), handed_back AS (
                 UPDATE deposits d SET decision = 'refund_failed', decided_at = $2
                   FROM ended WHERE ended.kind = 'refund' AND d.id = ended.deposit_id AND d.decision = 'refunding'
             )
             SELECT * FROM ended
             """,
            [Text(move.To), now, reason, .. parameters]))
        {
            await using var reader = await end.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ended.Add(Withdrawal.Read(reader));
            }
        }

        foreach (var withdrawal in ended.Where(w => w.Kind == WithdrawalKind.Partner))
        {
            var reversal = new LedgerChange(
                withdrawal.PartnerId!.Value,
                LedgerEntryType.WithdrawalReversal,
                withdrawal.AmountNanoton + withdrawal.FeeNanoton,
                Description: $"withdrawal {withdrawal.Id} {WithdrawalMachine.Text(move.To)}: {reason}",
                WithdrawalId: withdrawal.Id,
                Currency: withdrawal.Currency);
            _ = await ledger.TryApplyAsync(reversal, cancellationToken) ?? throw new InvalidOperationException($"partner {withdrawal.PartnerId} has no balance account");
        }

        var moved = ended.Select(w => w.Kind).ToList();
        unitOfWork.AfterCommit(() => moved.ForEach(kind => metrics.Moved(move, kind)));
        return ended;
    }
}

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>One move of a withdrawal: from → to, for which kinds, what it does to the money, and its guard.</summary>
/// <param name="Name">What happens, in a few words.</param>
/// <param name="From">The statuses it leaves (none: the withdrawal is created by it).</param>
/// <param name="To">The status it reaches.</param>
/// <param name="Kinds">The kinds of withdrawal it applies to.</param>
/// <param name="Method">The <see cref="WithdrawalLifecycle"/> method that makes it.</param>
/// <param name="Money">What it does to the money, in the same transaction.</param>
/// <param name="Guard">When it may happen (checked in the statement that makes it).</param>
public sealed record WithdrawalTransition(
    string Name,
    IReadOnlyList<WithdrawalStatus> From,
    WithdrawalStatus To,
    IReadOnlyList<WithdrawalKind> Kinds,
    string Method,
    string Money,
    string Guard);

/// <summary>
/// The withdrawal state machine — refunds of unmatched deposits and partner withdrawals alike — every move
/// in one table; <see cref="WithdrawalLifecycle"/> makes each of them with a guarded statement and takes its
/// statuses from here. A partner withdrawal's hold (amount + fee) is taken at creation and given back in
/// full by every move that ends without sending (ledger <c>withdrawal_reversal</c>, once per withdrawal: a
/// unique index). A refund's deposit stays <c>unmatched</c> (decision <c>refunding</c>) until the processor
/// says the TON left; then its amount and fee leave <c>unmatched</c>.
/// <code>
///  (new) ── partner asks (amount + fee held) ──────────────────────────▶ awaiting_confirmation
///  (new) ── refund queued (grace passed, or an operator) ──────────────▶ pending
///  awaiting_confirmation ── Confirm pressed in the partner's chat ─────▶ pending
///  awaiting_confirmation ── ConfirmWithin passed ──────────────────────▶ expired   (hold reversed)
///  awaiting_confirmation | pending (never asked) ── partner cancels ───▶ cancelled (hold reversed)
///  pending ── the processor accepted, or already had its query_id ────▶ sent
///  pending ── the processor refused it for good ───────────────────────▶ failed    (hold reversed / deposit back to the operators)
///  sent ── the processor says processed (tx_hash) ─────────────────────▶ completed (refund: the deposit is refunded)
///  sent ── the processor says failed ──────────────────────────────────▶ failed    (hold reversed / deposit back to the operators)
///  awaiting_confirmation ── sandbox confirm (test mode only) ──────────▶ completed (made-up tx_hash) or failed (amount ending .13; hold reversed)
/// </code>
/// </summary>
public static class WithdrawalMachine
{
    private static readonly WithdrawalKind[] Partner = [WithdrawalKind.Partner];
    private static readonly WithdrawalKind[] Refund = [WithdrawalKind.Refund];
    private static readonly WithdrawalKind[] Both = [WithdrawalKind.Refund, WithdrawalKind.Partner];

    public static readonly WithdrawalTransition Request = new(
        "the partner asks to withdraw", [], WithdrawalStatus.AwaitingConfirmation, Partner, nameof(WithdrawalLifecycle.RequestAsync),
        "amount + fee held from the balance (ledger withdrawal)",
        "the balance row locked: enough balance, within Withdrawals:DailyLimitTon over the last 24 h, else 409 and nothing written");

    public static readonly WithdrawalTransition QueueRefund = new(
        "a refund is queued", [], WithdrawalStatus.Pending, Refund, nameof(WithdrawalLifecycle.QueueRefundAsync),
        "the deposit's decision becomes refunding",
        "the deposit locked: unmatched, with a sender, and undecided (or its last refund failed)");

    public static readonly WithdrawalTransition Confirm = new(
        "Confirm pressed", [WithdrawalStatus.AwaitingConfirmation], WithdrawalStatus.Pending, Partner, nameof(WithdrawalLifecycle.ConfirmAsync),
        "none",
        "status = awaiting_confirmation, before confirm_by, pressed by the partner's Telegram user on the message sent for it, with its secret");

    public static readonly WithdrawalTransition Expire = new(
        "not confirmed in time", [WithdrawalStatus.AwaitingConfirmation], WithdrawalStatus.Expired, Partner, nameof(WithdrawalLifecycle.ExpireDueAsync),
        "the hold given back (ledger withdrawal_reversal)",
        "status = awaiting_confirmation and confirm_by passed");

    public static readonly WithdrawalTransition Cancel = new(
        "the partner cancels", [WithdrawalStatus.AwaitingConfirmation, WithdrawalStatus.Pending], WithdrawalStatus.Cancelled, Partner, nameof(WithdrawalLifecycle.CancelAsync),
        "the hold given back (ledger withdrawal_reversal)",
        "awaiting_confirmation, or pending and the processor never asked (processor_calls = 0); else 409 WITHDRAWAL_NOT_CANCELLABLE");

    public static readonly WithdrawalTransition Send = new(
        "the processor took it", [WithdrawalStatus.Pending], WithdrawalStatus.Sent, Both, nameof(WithdrawalLifecycle.MarkSentAsync),
        "none: the TON is on its way",
        "status = pending; with the processor's id, or flagged processor_id_unknown when it already had the query_id");

    public static readonly WithdrawalTransition Refuse = new(
        "the processor refused it", [WithdrawalStatus.Pending], WithdrawalStatus.Failed, Both, nameof(WithdrawalLifecycle.FailAsync),
        "partner: the hold given back; refund: the deposit's decision becomes refund_failed (operators decide)",
        "status = pending");

    public static readonly WithdrawalTransition Complete = new(
        "the processor sent it", [WithdrawalStatus.Sent], WithdrawalStatus.Completed, Both, nameof(WithdrawalLifecycle.CompleteAsync),
        "refund: the deposit's amount leaves unmatched (refunded + fee)",
        "status = sent and the processor says processed, with a tx_hash");

    public static readonly WithdrawalTransition FailAtProcessor = new(
        "the processor failed it", [WithdrawalStatus.Sent], WithdrawalStatus.Failed, Both, nameof(WithdrawalLifecycle.FailAsync),
        "partner: the hold given back; refund: the deposit's decision becomes refund_failed (operators decide)",
        "status = sent and the processor says failed");

    public static readonly WithdrawalTransition CompleteInSandbox = new(
        "the sandbox completes a test withdrawal", [WithdrawalStatus.AwaitingConfirmation], WithdrawalStatus.Completed, Partner, nameof(WithdrawalLifecycle.SettleInSandboxAsync),
        "none: the simulated TON leaves (a made-up tx_hash); nothing reaches the processor",
        "livemode = false (a CHECK keeps test withdrawals away from the processor), the test key's own, awaiting_confirmation before confirm_by, amount not ending in .13");

    public static readonly WithdrawalTransition FailInSandbox = new(
        "the sandbox fails a test withdrawal", [WithdrawalStatus.AwaitingConfirmation], WithdrawalStatus.Failed, Partner, nameof(WithdrawalLifecycle.SettleInSandboxAsync),
        "the hold given back (ledger withdrawal_reversal)",
        "as for completing, with an amount ending in .13 (so the reversal can be tried)");

    public static IReadOnlyList<WithdrawalTransition> All { get; } =
        [Request, QueueRefund, Confirm, Expire, Cancel, Send, Refuse, Complete, FailAtProcessor, CompleteInSandbox, FailInSandbox];

    /// <summary>The statuses a withdrawal never leaves.</summary>
    public static IReadOnlyList<WithdrawalStatus> Final { get; } =
        [.. Enum.GetValues<WithdrawalStatus>().Where(s => !All.Any(t => t.From.Contains(s)))];

    /// <summary>The statuses whose hold is reversed, i.e. that end without the TON leaving.</summary>
    public static IReadOnlyList<WithdrawalStatus> Reversed { get; } = [WithdrawalStatus.Cancelled, WithdrawalStatus.Expired, WithdrawalStatus.Failed];

    public static string Text(WithdrawalStatus status) => EnumText<WithdrawalStatus>.ToText(status);
}

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// Applies deposits the webhook stored but could not apply (<see cref="DepositIntake.ApplyStoredAsync"/>),
/// then settles the webhook's hints the processor could not confirm at the time
/// (<see cref="WebhookDeposits.SettleHintsAsync"/>). Runs on every instance: both are idempotent in SQL
/// (a deposit is applied once by tx_hash under its row lock), as the webhook itself already applies
/// deposits on whichever instance it reaches, and recovery goes on while the poll leader is stuck.
/// </summary>
public sealed class StoredDepositRecovery(DepositIntake intake, WebhookDeposits webhookDeposits) : IBackgroundJob
{
    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        await intake.ApplyStoredAsync(cancellationToken);
        await webhookDeposits.SettleHintsAsync(cancellationToken);
        return JobOutcome.Idle;
    }
}

using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Sandbox;

/// <summary>
/// Test-mode orders past <c>expires_at</c> expire on time (<see cref="OrderLifecycle.ExpireDueTestOrdersAsync"/>):
/// their money only arrives through the sandbox, so there is no processor history to wait for. Runs whether or
/// not a processor is configured, on every instance (each order closes in its own guarded transaction).
/// </summary>
public sealed class SandboxOrderExpiry(OrderLifecycle lifecycle) : IBackgroundJob
{
    private const int PerRun = 1000;

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken) =>
        await lifecycle.ExpireDueTestOrdersAsync(PerRun, cancellationToken) >= PerRun ? JobOutcome.MoreWork : JobOutcome.Idle;
}

using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Fulfillment;

/// <summary>
/// Delivers paid orders: claims them with <c>FOR UPDATE SKIP LOCKED</c> (two workers never claim one
/// order) and moves them <c>paid → processing</c> under a lease, asks the supplier, and then
/// <c>processing → completed</c> with the supplier's reference. Transient failures are retried with
/// exponential backoff and jitter (the lease is pushed to the next attempt); a permanent failure, or
/// the last attempt failing, ends <c>failed</c> with the price refunded in the same transaction. An
/// order found <c>processing</c> with its lease run out (its worker died between claiming and hearing
/// back) is first looked up at the supplier by its idempotency key, so it is never delivered twice.
/// Every instance runs it (no leader): <c>SKIP LOCKED</c> shares the work; a full batch means more work.
/// </summary>
public sealed partial class FulfillmentWorker(
    IServiceScopeFactory scopes,
    OrderMetrics metrics,
    TimeProvider time,
    IOptions<FulfillmentOptions> options,
    ILogger<FulfillmentWorker> logger) : IBackgroundJob
{
    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken) =>
        await DeliverDueAsync(cancellationToken) >= options.Value.BatchSize ? JobOutcome.MoreWork : JobOutcome.Idle;

    /// <summary>One pass: claims up to a batch of due orders and works each; returns how many were claimed.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(cancellationToken);
        foreach (var order in claimed)
        {
            await WorkAsync(order, cancellationToken);
        }

        return claimed.Count;
    }

    private async Task<IReadOnlyList<DeliveryClaim>> ClaimAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OrderLifecycle>()
            .ClaimForDeliveryAsync(options.Value.BatchSize, options.Value.Lease, cancellationToken);
    }

    private async Task WorkAsync(DeliveryClaim claimed, CancellationToken cancellationToken)
    {
        var order = claimed.Order;
        var request = DeliveryRequest.For(order);
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        // A test-mode order is delivered by the simulated supplier: test mode never calls the real one.
        var supplier = services.GetRequiredService<ForMode<ISupplier>>().Get(order.Livemode);
        DeliveryResult result;
        try
        {
            // A previous attempt may have reached the supplier without us hearing back: ask first.
            result = (claimed.Recovering ? await supplier.LookupAsync(request.IdempotencyKey, cancellationToken) : null)
                ?? await supplier.DeliverAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            result = DeliveryResult.Transient($"supplier call failed ({ex.GetType().Name})");
        }

        var lifecycle = services.GetRequiredService<OrderLifecycle>();
        var settings = options.Value;
        switch (result.Outcome)
        {
            case DeliveryOutcome.Delivered:
                await lifecycle.CompleteAsync(order.Id, result.Reference, cancellationToken);
                LogDelivered(logger, order.Id);
                break;
            case DeliveryOutcome.TransientFailure when order.DeliveryAttempts < settings.MaxAttempts:
                var retryAt = time.GetUtcNow() + Backoff.Delay(order.DeliveryAttempts, settings.RetryBaseDelay, settings.RetryMaxDelay);
                await lifecycle.ScheduleDeliveryRetryAsync(order.Id, retryAt, result.Reason, cancellationToken);
                metrics.DeliveryFailed(permanent: false);
                LogRetry(logger, order.Id, order.DeliveryAttempts, result.Reason);
                break;
            default:
                var reason = result.Outcome == DeliveryOutcome.PermanentFailure
                    ? result.Reason ?? "the supplier refused the delivery"
                    : $"delivery failed after {order.DeliveryAttempts} attempts: {result.Reason}";
                metrics.DeliveryFailed(permanent: true);
                await lifecycle.FailAndRefundAsync(order.Id, reason, cancellationToken);
                LogFailed(logger, order.Id, reason);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} delivered")]
    private static partial void LogDelivered(ILogger logger, long orderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} delivery attempt {Attempt} failed ({Reason}); will retry")]
    private static partial void LogRetry(ILogger logger, long orderId, int attempt, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} failed and was refunded: {Reason}")]
    private static partial void LogFailed(ILogger logger, long orderId, string reason);
}

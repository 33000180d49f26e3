namespace TheOpenMoney.Api.Infrastructure.Background;

public static class PeriodicTimerExtensions
{
    /// <summary>Waits for the next tick; false (instead of an exception) once the service is stopping.</summary>
    public static async Task<bool> NextTickAsync(this PeriodicTimer timer, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

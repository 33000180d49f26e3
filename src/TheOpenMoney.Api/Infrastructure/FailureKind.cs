namespace TheOpenMoney.Api.Infrastructure;

/// <summary>An exception that names its own kind of failure (a short stable word, never text from outside).</summary>
public interface IHasFailureKind
{
    string FailureKind { get; }
}

/// <summary>
/// A short, stable name for a failure, for health and metrics: never the exception's text, which can
/// carry internal details (hosts, SQL, what a payer wrote). The text goes to the log only.
/// </summary>
public static class FailureKind
{
    public static string Of(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            IHasFailureKind named => named.FailureKind,
            _ when DatabaseFailures.IsUnavailable(exception) => "database_unavailable",
            NpgsqlException => DatabaseFailures.Kind(exception),
            TimeoutException or TaskCanceledException => "timeout",
            _ when HttpFailures.IsTransient(exception) => "dependency_unreachable",
            _ => "internal_error",
        };
    }
}

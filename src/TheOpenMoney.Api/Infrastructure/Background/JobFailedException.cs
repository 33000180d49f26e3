namespace TheOpenMoney.Api.Infrastructure.Background;

/// <summary>
/// A job's failure that needs more than the runner's usual Warning (a 409 from Telegram needs an
/// operator): the runner logs it once, at <see cref="Level"/>, with this message and the inner
/// exception, and backs off as for any failure. Its kind is the inner exception's.
/// </summary>
public sealed class JobFailedException(string message, Exception innerException, LogLevel level)
    : Exception(message, innerException), IHasFailureKind
{
    public LogLevel Level { get; } = level;

    public string FailureKind => Infrastructure.FailureKind.Of(InnerException!);
}

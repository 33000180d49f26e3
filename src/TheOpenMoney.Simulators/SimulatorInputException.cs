namespace TheOpenMoney.Simulators;

/// <summary>
/// Rejected input; the HTTP layer turns it into <c>{"error": Message}</c> with <see cref="StatusCode"/>.
/// </summary>
public sealed class SimulatorInputException : Exception
{
    public SimulatorInputException()
        : this("invalid input")
    {
    }

    public SimulatorInputException(string message)
        : this(message, StatusCodes.Status400BadRequest)
    {
    }

    public SimulatorInputException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = StatusCodes.Status400BadRequest;
    }

    public SimulatorInputException(string message, int statusCode)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>HTTP status the simulator answers with (400, or 409 for a duplicate tx_hash).</summary>
    public int StatusCode { get; }
}

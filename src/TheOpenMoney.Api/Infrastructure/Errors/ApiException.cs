namespace TheOpenMoney.Api.Infrastructure.Errors;

/// <summary>
/// A domain failure with a stable <c>error_code</c> and HTTP status. Services throw it; the
/// error middleware turns it into the envelope. Nothing else builds error responses.
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(int statusCode, string errorCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    public ApiException()
        : this(StatusCodes.Status500InternalServerError, ErrorCodes.InternalError, "internal error")
    {
    }

    public ApiException(string message)
        : this(StatusCodes.Status500InternalServerError, ErrorCodes.InternalError, message)
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = StatusCodes.Status500InternalServerError;
        ErrorCode = ErrorCodes.InternalError;
    }

    public int StatusCode { get; }

    public string ErrorCode { get; }

    /// <summary>Seconds for a <c>Retry-After</c> header, when the failure is temporary.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiException NotFound(string what) =>
        new(StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"{what} not found");

    public static ApiException Validation(string message) =>
        new(StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, message);

    public static ApiException Conflict(string errorCode, string message) =>
        new(StatusCodes.Status409Conflict, errorCode, message);
}

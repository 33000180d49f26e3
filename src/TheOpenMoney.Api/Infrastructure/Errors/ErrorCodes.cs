namespace TheOpenMoney.Api.Infrastructure.Errors;

/// <summary>The stable <c>error_code</c> values of the contract. Partners switch on these; never rename one.</summary>
public static class ErrorCodes
{
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
    public const string ValidationError = "VALIDATION_ERROR";
    public const string RateLimited = "RATE_LIMITED";
    public const string InternalError = "INTERNAL_ERROR";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";
    public const string BadRequest = "BAD_REQUEST";
    public const string NotAcceptable = "NOT_ACCEPTABLE";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";

    // Orders, pricing, balance and idempotency.
    public const string RecipientNotEligible = "RECIPIENT_NOT_ELIGIBLE";
    public const string InsufficientBalance = "INSUFFICIENT_BALANCE";
    public const string OrderNotCancellable = "ORDER_NOT_CANCELLABLE";
    public const string OrderNotPayable = "ORDER_NOT_PAYABLE";
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
    public const string IdempotencyInProgress = "IDEMPOTENCY_IN_PROGRESS";
    public const string RateUnavailable = "RATE_UNAVAILABLE";
    public const string PaymentProviderUnavailable = "PAYMENT_PROVIDER_UNAVAILABLE";

    // Money out.
    public const string WithdrawalLimit = "WITHDRAWAL_LIMIT";
    public const string WithdrawalNotCancellable = "WITHDRAWAL_NOT_CANCELLABLE";

    // Sandbox (test mode): the order or withdrawal is not in a state that sandbox action applies to.
    public const string InvalidState = "INVALID_STATE";

    // Webhooks.
    public const string SecretRotationLimit = "SECRET_ROTATION_LIMIT";

    /// <summary>Maps a bare HTTP status (one the framework produced without a body) to its code.</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status406NotAcceptable => NotAcceptable,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        StatusCodes.Status422UnprocessableEntity => ValidationError,
        StatusCodes.Status429TooManyRequests => RateLimited,
        StatusCodes.Status503ServiceUnavailable => ServiceUnavailable,
        _ when status >= 500 => InternalError,
        _ => BadRequest,
    };

    public static string MessageForStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "a valid API key is required: Authorization: Bearer osk_…",
        StatusCodes.Status404NotFound => "no such resource",
        StatusCodes.Status405MethodNotAllowed => "method not allowed on this resource",
        StatusCodes.Status406NotAcceptable => "only application/json responses are available",
        StatusCodes.Status413PayloadTooLarge => "request body too large",
        StatusCodes.Status415UnsupportedMediaType => "request body must be application/json",
        StatusCodes.Status429TooManyRequests => "rate limit exceeded",
        _ when status >= 500 => "internal error",
        _ => "bad request",
    };
}

namespace TheOpenMoney.Api.Infrastructure.Errors;

/// <summary>Error codes of the order, pricing and balance areas (stable; partners switch on them).</summary>
public static class DomainErrors
{
    public const string RecipientNotEligible = "RECIPIENT_NOT_ELIGIBLE";
    public const string InsufficientBalance = "INSUFFICIENT_BALANCE";
    public const string OrderNotCancellable = "ORDER_NOT_CANCELLABLE";
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
    public const string IdempotencyInProgress = "IDEMPOTENCY_IN_PROGRESS";
    public const string RateUnavailable = "RATE_UNAVAILABLE";
    public const string PaymentProviderUnavailable = "PAYMENT_PROVIDER_UNAVAILABLE";
}

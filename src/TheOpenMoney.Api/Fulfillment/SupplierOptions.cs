namespace TheOpenMoney.Api.Fulfillment;

/// <summary>Configuration section <c>Supplier</c>.</summary>
public sealed class SupplierOptions
{
    public const string Section = "Supplier";

    /// <summary><c>Simulated</c> (default) or <c>Http</c>.</summary>
    public string Mode { get; set; } = "Simulated";

    public string? BaseUrl { get; set; }

    public string? ApiKey { get; set; }

    public HttpResilienceOptions Http { get; set; } = new() { AttemptTimeout = TimeSpan.FromSeconds(15), MaxRetries = 2 };
}

namespace TheOpenMoney.Api.Recipients;

/// <summary>Configuration section <c>Recipients</c>.</summary>
public sealed class RecipientDirectoryOptions
{
    public const string Section = "Recipients";

    /// <summary><c>Simulated</c> (default) or <c>Http</c>.</summary>
    public string Mode { get; set; } = "Simulated";

    /// <summary>Base URL of the HTTP directory: <c>GET {BaseUrl}/v1/recipients/{stars|premium}?username=&amp;months=</c>.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer …</c>.</summary>
    public string? ApiKey { get; set; }

    public HttpResilienceOptions Http { get; set; } = new() { AttemptTimeout = TimeSpan.FromSeconds(3), MaxRetries = 1 };
}

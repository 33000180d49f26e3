namespace TheOpenMoney.Api.Infrastructure.Observability;

/// <summary>Configuration section <c>Management</c>.</summary>
public sealed class ManagementOptions
{
    public const string Section = "Management";

    /// <summary>Where <c>/metrics</c> is served (semicolon-separated URLs); empty turns the management port off.</summary>
    public string? Urls { get; set; } = "http://127.0.0.1:9464";
}

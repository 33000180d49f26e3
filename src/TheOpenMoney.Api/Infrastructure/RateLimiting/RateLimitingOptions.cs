using System.ComponentModel.DataAnnotations;

namespace TheOpenMoney.Api.Infrastructure.RateLimiting;

/// <summary>Configuration section <c>RateLimiting</c>: per-key limits and the per-IP failed-auth limit.</summary>
public sealed class RateLimitingOptions
{
    public const string Section = "RateLimiting";

    [Range(1, int.MaxValue)]
    public int PerKeyPerMinute { get; set; } = 120;

    [Range(1, int.MaxValue)]
    public int OrderCreationPerKeyPerMinute { get; set; } = 30;

    [Range(1, int.MaxValue)]
    public int FailedAuthPerIpPerMinute { get; set; } = 20;

    /// <summary>
    /// The largest batch of permits an instance leases at once from a shared window (a batch is a twentieth of
    /// the limit, at least 1): what another instance may hold unspent, so the most a window can fall short by.
    /// </summary>
    [Range(1, 1000)]
    public int LeaseBatchMax { get; set; } = 100;

    /// <summary>The window the three limits count in (one minute unless a test shortens it).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

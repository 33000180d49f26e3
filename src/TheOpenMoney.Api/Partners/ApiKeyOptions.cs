using System.ComponentModel.DataAnnotations;

namespace TheOpenMoney.Api.Partners;

/// <summary>Configuration section <c>ApiKeys</c>.</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    /// <summary>Server-side secret mixed into every key hash (HMAC-SHA256). Never logged.</summary>
    [Required(ErrorMessage = "ApiKeys:Pepper is required (environment variable ApiKeys__Pepper)")]
    [MinLength(32, ErrorMessage = "ApiKeys:Pepper must be at least 32 characters")]
    public string Pepper { get; set; } = "";

    /// <summary><c>last_used_at</c> is written at most this often per key.</summary>
    public TimeSpan LastUsedWriteInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Authenticated keys are cached per process (used only while revocations are heard: see <see cref="ApiKeyCache"/>).</summary>
    public bool CacheEnabled { get; set; } = true;

    /// <summary>At most this many keys are cached per process.</summary>
    [Range(1, 10_000_000)]
    public int CacheSize { get; set; } = 100_000;

    /// <summary>A cached key is read again from the database after this long, whatever was heard.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the revocation listener proves its connection alive (and the bound of that check): a dead one is noticed within about this.</summary>
    public TimeSpan ListenCheckInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}

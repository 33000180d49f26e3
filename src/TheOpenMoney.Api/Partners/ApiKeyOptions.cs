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
}

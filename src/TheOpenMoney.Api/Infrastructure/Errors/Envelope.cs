using System.Text.Json.Serialization;

namespace TheOpenMoney.Api.Infrastructure.Errors;

/// <summary>The success envelope: <c>{"ok": true, "data": …}</c>.</summary>
public sealed record ApiResponse<T>(T Data)
{
    [JsonPropertyOrder(-1)]
    public bool Ok => true;
}

public static class ApiResponse
{
    public static ApiResponse<T> Of<T>(T data) => new(data);
}

/// <summary>The error envelope: <c>{"ok": false, "error_code", "error_message", "data": null}</c>.</summary>
public sealed record ErrorEnvelope([property: TextValues(typeof(ErrorCodes))] string ErrorCode, string ErrorMessage)
{
    [JsonPropertyOrder(-1)]
    public bool Ok => false;

    [JsonPropertyOrder(10)]
    public object? Data => null;

    /// <summary>Present on 500 and 503 answers only: the id that also appears in the log line.</summary>
    [JsonPropertyOrder(11)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceId { get; init; }
}

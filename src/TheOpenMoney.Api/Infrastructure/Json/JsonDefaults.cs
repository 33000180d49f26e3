using System.Text.Json.Serialization;

namespace TheOpenMoney.Api.Infrastructure.Json;

/// <summary>
/// The one JSON shape of the API: snake_case names, UTC times with <c>Z</c>. Reading is strict and
/// predictable: property names exactly as documented (case-sensitive), unknown and duplicate
/// properties rejected (a duplicate must never let the last value win), numbers only as numbers.
/// </summary>
public static class JsonDefaults
{
    public static void Apply(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.PropertyNameCaseInsensitive = false;
        options.AllowDuplicateProperties = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new UtcDateTimeOffsetConverter());
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
    }

    public static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Apply(options);
        return options;
    }

    /// <summary>Options for writing envelopes outside MVC (middleware, auth handler).</summary>
    public static JsonSerializerOptions Shared { get; } = Create();
}

/// <summary>Writes every instant as ISO 8601 UTC with a trailing <c>Z</c> (fraction only when non-zero).</summary>
public sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        return Validation.UtcInstantBinder.TryParse(reader.GetString(), out var value)
            ? value
            : throw new JsonException("expected an ISO 8601 date-time");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
    }
}

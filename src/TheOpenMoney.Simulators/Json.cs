using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TheOpenMoney.Simulators;

/// <summary>Reading request bodies and writing bicycle-shaped JSON answers.</summary>
internal static class Json
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Compact JSON without HTML-escaping of quotes and angle brackets.</summary>
    public static string Serialize(JsonNode node) => node.ToJsonString(WriteOptions);

    public static async Task WriteAsync(HttpContext context, int statusCode, JsonNode body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        // Go's json.Encoder terminates every document with a newline; so do we.
        await context.Response.WriteAsync(Serialize(body) + "\n", Utf8, context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, int statusCode, string message) =>
        WriteAsync(context, statusCode, new JsonObject { ["error"] = message });

    /// <summary>Parses the request body as a JSON object; throws a 400 when it is not one.</summary>
    public static async Task<JsonElement> ReadObjectAsync(HttpContext context, string errorPrefix)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(
                context.Request.Body,
                new JsonDocumentOptions { AllowTrailingCommas = true },
                context.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SimulatorInputException($"{errorPrefix}: body must be a JSON object");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new SimulatorInputException($"{errorPrefix}: {ex.Message}", ex);
        }
    }

    public static string? OptionalString(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new SimulatorInputException($"{name} must be a string");
    }

    /// <summary>A non-negative integer given as a JSON number or a string of digits.</summary>
    public static BigInteger? OptionalInteger(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() ?? string.Empty,
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new SimulatorInputException($"{name} must be a string or a number"),
        };
        return ParseDigits(text) ?? throw new SimulatorInputException($"{name} must be a non-negative integer");
    }

    public static long? OptionalLong(JsonElement obj, string name)
    {
        var value = OptionalInteger(obj, name);
        if (value is null)
        {
            return null;
        }

        return value.Value <= long.MaxValue
            ? (long)value.Value
            : throw new SimulatorInputException($"{name} is too large");
    }

    public static bool OptionalBool(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new SimulatorInputException($"{name} must be a boolean"),
        };
    }

    /// <summary>Parses a string made only of ASCII digits; anything else gives null.</summary>
    public static BigInteger? ParseDigits(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.All(char.IsAsciiDigit))
        {
            return null;
        }

        return BigInteger.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    public static string Format(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>An income object exactly as bicycle writes it (empty source_address/comment omitted).</summary>
    public static JsonObject Income(DepositRecord deposit)
    {
        var income = new JsonObject
        {
            ["deposit_address"] = deposit.DepositAddress,
            ["time"] = deposit.Time,
        };
        if (!string.IsNullOrEmpty(deposit.SourceAddress))
        {
            income["source_address"] = deposit.SourceAddress;
        }

        income["amount"] = Format(deposit.Amount);
        if (!string.IsNullOrEmpty(deposit.Comment))
        {
            income["comment"] = deposit.Comment;
        }

        income["tx_hash"] = deposit.TxHash;
        return income;
    }

    /// <summary>The body of a webhook push.</summary>
    public static JsonObject WebhookPayload(DepositRecord deposit)
    {
        var payload = new JsonObject
        {
            ["deposit_address"] = deposit.DepositAddress,
            ["time"] = deposit.Time,
            ["amount"] = Format(deposit.Amount),
        };
        if (!string.IsNullOrEmpty(deposit.SourceAddress))
        {
            payload["source_address"] = deposit.SourceAddress;
        }

        if (!string.IsNullOrEmpty(deposit.Comment))
        {
            payload["comment"] = deposit.Comment;
        }

        payload["user_id"] = deposit.UserId;
        payload["tx_hash"] = deposit.TxHash;
        return payload;
    }
}

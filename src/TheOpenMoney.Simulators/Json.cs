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

    public static Task WriteAsync(HttpContext context, int statusCode, JsonNode body) =>
        WriteTextAsync(context, statusCode, Serialize(body));

    /// <summary>Writes <paramref name="json"/> as it is (it may hold raw rows that are not valid JSON), then a newline.</summary>
    public static async Task WriteTextAsync(HttpContext context, int statusCode, string json)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        // Go's json.Encoder terminates every document with a newline; so do we.
        await context.Response.WriteAsync(json + "\n", Utf8, context.RequestAborted);
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
            ? GetString(value, name)
            : throw new SimulatorInputException($"{name} must be a string");
    }

    /// <summary>The string value; a lone surrogate (e.g. an unescaped <c>\ud800</c>) is a 400, not a 500.</summary>
    public static string GetString(JsonElement value, string name)
    {
        try
        {
            return value.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException ex)
        {
            throw new SimulatorInputException(
                $"{name} is not valid UTF-16 ({ex.Message}); to send such an escape verbatim in a raw row, escape its backslash", ex);
        }
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

    /// <summary>
    /// The GET /v1/deposit/history answer as text (without the trailing newline): raw rows verbatim, the others
    /// exactly as <see cref="Serialize"/> writes <c>{"incomes":[…]}</c> built from <see cref="Income"/>.
    /// </summary>
    public static string HistoryText(IReadOnlyList<DepositRecord> page)
    {
        var text = new StringBuilder("{\"incomes\":[");
        for (var i = 0; i < page.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(IncomeText(page[i]));
        }

        return text.Append("]}").ToString();
    }

    /// <summary>The GET /v1/deposit/income answer as text (without the trailing newline).</summary>
    public static string IncomeByTxText(DepositRecord deposit) =>
        "{\"currency\":\"" + deposit.Currency + "\",\"income\":" + IncomeText(deposit) + "}";

    /// <summary>A raw row's text, or the serialised income object.</summary>
    public static string IncomeText(DepositRecord deposit) => deposit.Raw?.Income ?? Serialize(Income(deposit));

    /// <summary>The webhook push body: a raw row's webhook body (else its income text) verbatim, or the serialised payload.</summary>
    public static string WebhookBody(DepositRecord deposit) =>
        deposit.Raw is { } raw ? raw.WebhookBody ?? raw.Income : Serialize(WebhookPayload(deposit));

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

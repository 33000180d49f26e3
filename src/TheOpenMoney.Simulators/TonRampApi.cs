using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TheOpenMoney.Simulators;

/// <summary>
/// The TonRamp REST API fake (seed 004: /api/v1/*) with its per-route moving-window rate
/// limits, FastAPI-style {"detail": …} errors, and test controls under /_sim/tonramp/*.
/// </summary>
internal static class TonRampApi
{
    public const string ApiKeyHeader = "X-API-Key";
    public const string PayloadPrefix = "trp01";
    public const string DeepLinkBase = "https://trp.tonramp.io/";
    public const string TelegramLinkBase = "https://t.me/TonRmpBot/tonramp?startapp=";

    private const int MinWalletLength = 10;
    private const int MaxWalletLength = 48;
    private const int MaxMerchantLength = 32;
    private const int MaxAmountLength = 24;
    private const int MaxTxIdLength = 64;
    private static readonly string[] Currencies = ["BRL", "USD", "EUR", "TON"];
    private static readonly string[] Platforms = ["telegram", "google"];

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/wallet/trp/generate", Limited(TonRampState.GenerateRoute, GenerateAsync, requiresKey: true));
        routes.MapGet("/api/v1/trp/status/{tx_id}", Limited(TonRampState.StatusRoute, StatusAsync, requiresKey: true));
        routes.MapPost("/api/v1/trp/preference", Limited(TonRampState.PreferenceRoute, PreferenceAsync, requiresKey: false));

        routes.MapPost("/_sim/tonramp/status", Control(SetStatusAsync));
        routes.MapPost("/_sim/tonramp/fail", Control(FailAsync));
        routes.MapGet("/_sim/tonramp/state", Control(StateAsync));
        routes.MapPost("/_sim/tonramp/reset", Control(ResetAsync));
    }

    /// <summary>"trp01" followed by two-digit tag, two-digit length, value fields (like a Pix BR Code).</summary>
    public static string Payload(TonRampTransaction transaction)
    {
        var builder = new StringBuilder(PayloadPrefix);
        AppendField(builder, "01", transaction.Wallet);
        AppendField(builder, "02", transaction.Merchant);
        AppendField(builder, "03", transaction.Amount);
        AppendField(builder, "04", transaction.Currency);
        AppendField(builder, "05", transaction.TxId);
        return builder.ToString();
    }

    private static void AppendField(StringBuilder builder, string tag, string value) =>
        builder.Append(tag).Append(value.Length.ToString("D2", CultureInfo.InvariantCulture)).Append(value);

    private static Task WriteDetailAsync(HttpContext context, int statusCode, string detail) =>
        Json.WriteAsync(context, statusCode, new JsonObject { ["detail"] = detail });

    private static RequestDelegate Limited(string route, Func<HttpContext, TonRampState, Task> handler, bool requiresKey) =>
        async context =>
        {
            var state = context.RequestServices.GetRequiredService<TonRampState>();
            switch (state.Admit(route, out var failStatus))
            {
                case TonRampAdmission.RateLimited:
                    await WriteDetailAsync(context, StatusCodes.Status429TooManyRequests, "Rate limit exceeded");
                    return;
                case TonRampAdmission.Failed:
                    await WriteDetailAsync(context, failStatus, "unavailable");
                    return;
                case TonRampAdmission.Accepted:
                default:
                    break;
            }

            var options = context.RequestServices.GetRequiredService<SimulatorOptions>();
            if (requiresKey && !string.IsNullOrEmpty(options.TonRampApiKey) && !HasApiKey(context.Request, options.TonRampApiKey))
            {
                await WriteDetailAsync(context, StatusCodes.Status401Unauthorized, "Invalid API key");
                return;
            }

            try
            {
                await handler(context, state);
            }
            catch (SimulatorInputException ex)
            {
                // FastAPI answers unparsable or invalid bodies with 422.
                var status = ex.StatusCode == StatusCodes.Status400BadRequest
                    ? StatusCodes.Status422UnprocessableEntity
                    : ex.StatusCode;
                await WriteDetailAsync(context, status, ex.Message);
            }
        };

    private static RequestDelegate Control(Func<HttpContext, TonRampState, Task> handler) => StateHandler.For(handler);

    private static bool HasApiKey(HttpRequest request, string key) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(request.Headers[ApiKeyHeader].ToString()), Encoding.UTF8.GetBytes(key));

    private static async Task GenerateAsync(HttpContext context, TonRampState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid JSON body");

        var wallet = RequiredString(body, "wallet");
        if (wallet.Length is < MinWalletLength or > MaxWalletLength)
        {
            throw new SimulatorInputException($"wallet must be {MinWalletLength}-{MaxWalletLength} characters");
        }

        var merchant = RequiredString(body, "merchant");
        if (merchant.Length > MaxMerchantLength)
        {
            throw new SimulatorInputException($"merchant must be at most {MaxMerchantLength} characters");
        }

        var amount = ReadAmount(body);

        var currency = (Json.OptionalString(body, "currency") ?? "BRL").ToUpperInvariant();
        if (!Currencies.Contains(currency, StringComparer.Ordinal))
        {
            throw new SimulatorInputException("currency must be one of BRL, USD, EUR, TON");
        }

        var txId = Json.OptionalString(body, "tx_id");
        if (txId is not null && (txId.Length > MaxTxIdLength || txId.Any(char.IsControl)))
        {
            throw new SimulatorInputException($"tx_id must be at most {MaxTxIdLength} printable characters");
        }

        var transaction = state.Register(string.IsNullOrEmpty(txId) ? null : txId, wallet, merchant, amount, currency);
        // The payload reflects this request (the stored transaction keeps the first spelling of the amount).
        var payload = Payload(transaction with { Amount = amount });
        var escaped = Uri.EscapeDataString(payload);
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["success"] = true,
            ["payload"] = payload,
            ["deep_link"] = DeepLinkBase + escaped,
            ["telegram_link"] = TelegramLinkBase + escaped,
        });
    }

    private static string RequiredString(JsonElement body, string name)
    {
        var value = Json.OptionalString(body, name);
        return string.IsNullOrEmpty(value) ? throw new SimulatorInputException($"{name} is required") : value;
    }

    /// <summary>A positive decimal given as a string ("100.00") or a JSON number (100.00), kept as written.</summary>
    private static string ReadAmount(JsonElement body)
    {
        if (!body.TryGetProperty("amount", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new SimulatorInputException("amount is required");
        }

        var text = value.ValueKind switch
        {
            JsonValueKind.String => (value.GetString() ?? string.Empty).Trim(),
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new SimulatorInputException("amount must be a string or a number"),
        };
        if (text.Length > MaxAmountLength
            || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || amount <= 0)
        {
            throw new SimulatorInputException("amount must be a positive decimal such as \"100.00\"");
        }

        return text;
    }

    private static async Task StatusAsync(HttpContext context, TonRampState state)
    {
        var txId = context.Request.RouteValues["tx_id"] as string ?? string.Empty;
        var transaction = state.FindTransaction(txId);
        if (transaction is null)
        {
            await WriteDetailAsync(context, StatusCodes.Status404NotFound, "Transaction not found");
            return;
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["status"] = transaction.Status,
            ["amount"] = transaction.Amount,
            ["currency"] = transaction.Currency,
            ["updated_at"] = transaction.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        });
    }

    private static async Task PreferenceAsync(HttpContext context, TonRampState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid JSON body");
        var platform = Json.OptionalString(body, "platform");
        if (platform is null || !Platforms.Contains(platform, StringComparer.Ordinal))
        {
            throw new SimulatorInputException("platform must be telegram or google");
        }

        context.Response.Cookies.Append("tonramp_platform", platform, new CookieOptions
        {
            SameSite = SameSiteMode.None,
            Secure = true,
            HttpOnly = true,
            Path = "/",
        });
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["success"] = true,
            ["platform"] = platform,
        });
    }

    private static async Task SetStatusAsync(HttpContext context, TonRampState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid body");
        var txId = Json.OptionalString(body, "tx_id");
        var status = Json.OptionalString(body, "status");
        if (string.IsNullOrEmpty(txId) || string.IsNullOrEmpty(status))
        {
            throw new SimulatorInputException("tx_id and status are required");
        }

        TonRampTransaction updated;
        try
        {
            updated = state.SetStatus(txId, status);
        }
        catch (KeyNotFoundException)
        {
            throw new SimulatorInputException("Transaction not found", StatusCodes.Status404NotFound);
        }
        catch (ArgumentException ex)
        {
            throw new SimulatorInputException(ex.Message, ex);
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["tx_id"] = updated.TxId,
            ["status"] = updated.Status,
        });
    }

    private static Task FailAsync(HttpContext context, TonRampState state) =>
        InjectedFailures.HandleFailRequestAsync(context, StatusCodes.Status503ServiceUnavailable, (count, status) => state.FailNext(count, status));

    private static async Task StateAsync(HttpContext context, TonRampState state)
    {
        var answer = new JsonObject();
        foreach (var route in TonRampState.Routes)
        {
            answer[route] = new JsonObject
            {
                ["requests"] = state.Requests(route),
                ["rejected"] = state.Rejected(route),
                ["max_per_minute"] = state.MaxInAnyWindow(route, TonRampState.RateWindow),
            };
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, answer);
    }

    private static async Task ResetAsync(HttpContext context, TonRampState state)
    {
        state.Reset();
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["reset"] = true });
    }
}

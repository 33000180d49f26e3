using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace TheOpenMoney.Simulators;

/// <summary>The bicycle payment processor HTTP API (/v1/*).</summary>
internal static class ProcessorApi
{
    private const int MaxHistoryLimit = 1000;

    public static void Map(IEndpointRouteBuilder routes)
    {
        Route(routes, "/v1/address/new", HttpMethods.Post, NewAddressAsync);
        Route(routes, "/v1/address/all", HttpMethods.Get, AllAddressesAsync);
        Route(routes, "/v1/income", HttpMethods.Get, IncomeAsync);
        Route(routes, "/v1/deposit/history", HttpMethods.Get, HistoryAsync);
        Route(routes, "/v1/deposit/income", HttpMethods.Get, IncomeByTxAsync);
        Route(routes, "/v1/withdrawal/send", HttpMethods.Post, SendWithdrawalAsync);
        Route(routes, "/v1/withdrawal/status", HttpMethods.Get, WithdrawalStatusAsync);
        Route(routes, "/v1/withdrawal/service/ton", HttpMethods.Post, ServiceTonWithdrawalAsync);
        Route(routes, "/v1/withdrawal/service/jetton", HttpMethods.Post, ServiceJettonWithdrawalAsync);
        Route(routes, "/v1/balance", HttpMethods.Get, BalanceAsync);
        Route(routes, "/v1/resolve", HttpMethods.Get, ResolveAsync);
        Route(routes, "/v1/system/sync", HttpMethods.Get, SyncAsync, requiresAuth: false);
    }

    /// <summary>Counts every /v1/* request and answers injected failures before anything else runs.</summary>
    public static async Task CountAndFailAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var state = context.RequestServices.GetRequiredService<ProcessorState>();
        state.RecordRequest(context.Request.Method, context.Request.Path.Value ?? string.Empty);
        if (state.TryConsumeFailure(out var status))
        {
            await Json.WriteErrorAsync(context, status, "simulated failure");
            return;
        }

        await next(context);
    }

    private static void Route(
        IEndpointRouteBuilder routes,
        string pattern,
        string method,
        Func<HttpContext, ProcessorState, Task> handler,
        bool requiresAuth = true)
    {
        // Like bicycle's mux: the path matches any method; auth is checked first, then the method.
        routes.Map(pattern, (RequestDelegate)(async context =>
        {
            if (requiresAuth)
            {
                var options = context.RequestServices.GetRequiredService<SimulatorOptions>();
                if (!IsAuthorized(context.Request, options.ApiToken))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return;
                }
            }

            if (!HttpMethods.Equals(context.Request.Method, method))
            {
                await Json.WriteErrorAsync(
                    context, StatusCodes.Status400BadRequest, $"only {method} method is supported");
                return;
            }

            var state = context.RequestServices.GetRequiredService<ProcessorState>();
            try
            {
                await handler(context, state);
            }
            catch (SimulatorInputException ex)
            {
                await Json.WriteErrorAsync(context, ex.StatusCode, ex.Message);
            }
        }));
    }

    /// <summary>True when the request carries exactly "Authorization: Bearer &lt;token&gt;".</summary>
    internal static bool IsAuthorized(HttpRequest request, string token)
    {
        var parts = request.Headers.Authorization.ToString().Split(' ');
        if (parts.Length != 2 || parts[0] != "Bearer")
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(parts[1]), Encoding.UTF8.GetBytes(token));
    }

    private static string Query(HttpContext context, string name)
    {
        var values = context.Request.Query[name];
        return values.Count > 0 ? values[0] ?? string.Empty : string.Empty;
    }

    private static string RequireUserId(HttpContext context)
    {
        var userId = Query(context, "user_id");
        return userId.Length > 0 ? userId : throw new SimulatorInputException("need to provide user ID");
    }

    /// <summary>bicycle's validateAddress: user-friendly form, right network, basechain.</summary>
    private static TonAddressInfo ValidateAddress(ProcessorState state, string? address, string what)
    {
        if (!TonAddress.TryParse(address, out var info, out var error))
        {
            throw new SimulatorInputException($"invalid {what} address: {error}");
        }

        if (info.TestnetOnly && !state.Testnet)
        {
            throw new SimulatorInputException($"invalid {what} address: address for testnet only");
        }

        if (info.Workchain != 0)
        {
            throw new SimulatorInputException($"invalid {what} address: address must be in 0 workchain");
        }

        return info;
    }

    private static async Task NewAddressAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "decode payload data err");
        var userId = Json.OptionalString(body, "user_id");
        var currency = Json.OptionalString(body, "currency") ?? string.Empty;
        if (!state.Currencies.Contains(currency, StringComparer.Ordinal))
        {
            throw new SimulatorInputException("invalid currency type");
        }

        if (string.IsNullOrEmpty(userId))
        {
            throw new SimulatorInputException("need to provide user ID");
        }

        var address = state.CreateAddress(userId, currency);
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["address"] = address });
    }

    private static async Task AllAddressesAsync(HttpContext context, ProcessorState state)
    {
        var userId = RequireUserId(context);
        var addresses = new JsonArray();
        foreach (var (address, currency) in state.GetAddressesWithCurrency(userId))
        {
            addresses.Add(new JsonObject { ["address"] = address, ["currency"] = currency });
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["addresses"] = addresses });
    }

    private static async Task IncomeAsync(HttpContext context, ProcessorState state)
    {
        var userId = RequireUserId(context);
        var totals = new JsonArray();
        foreach (var income in state.GetIncome(userId))
        {
            totals.Add(new JsonObject
            {
                ["deposit_address"] = income.DepositAddress,
                ["amount"] = Json.Format(income.Amount),
                ["currency"] = income.Currency,
            });
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["counting_side"] = "deposit",
            ["total_income"] = totals,
        });
    }

    private static async Task HistoryAsync(HttpContext context, ProcessorState state)
    {
        var userId = RequireUserId(context);
        var currency = Query(context, "currency");
        state.RequireCurrency(currency);
        if (!TryParseInt(Query(context, "limit"), out var limit))
        {
            throw new SimulatorInputException("invalid limit parameter");
        }

        if (limit is < 1 or > MaxHistoryLimit)
        {
            throw new SimulatorInputException($"limit must be between 1 and {MaxHistoryLimit}");
        }

        if (!TryParseInt(Query(context, "offset"), out var offset) || offset < 0)
        {
            throw new SimulatorInputException("invalid offset parameter");
        }

        var sort = Query(context, "sort_order").ToLowerInvariant();
        if (sort is not ("" or "asc" or "desc"))
        {
            throw new SimulatorInputException("invalid sort order");
        }

        if (state.TryConsumeHistoryFailure(offset, out var failure))
        {
            await Json.WriteErrorAsync(context, failure, "simulated failure");
            return;
        }

        var page = state.GetHistory(userId, limit, offset, ascending: sort == "asc", currency);
        if (page.Any(d => d.Raw is not null))
        {
            // Raw rows go out byte for byte (they may not even be JSON), so the page is written as text.
            await Json.WriteTextAsync(context, StatusCodes.Status200OK, Json.HistoryText(page));
            return;
        }

        var incomes = new JsonArray();
        foreach (var deposit in page)
        {
            incomes.Add(Json.Income(deposit));
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["incomes"] = incomes });
    }

    private static async Task IncomeByTxAsync(HttpContext context, ProcessorState state)
    {
        var txHash = Query(context, "tx_hash");
        var deposit = txHash.Length > 0 ? state.FindVisibleDeposit(txHash) : null;
        if (deposit is null)
        {
            // Injected hashes may be free text; real ones are 32 bytes of hex, which bicycle checks.
            if (!state.IsKnownTxHash(txHash) && (txHash.Length != 64 || !txHash.All(char.IsAsciiHexDigit)))
            {
                throw new SimulatorInputException("invalid hash len");
            }

            await Json.WriteErrorAsync(context, StatusCodes.Status404NotFound, "not found");
            return;
        }

        if (deposit.Raw is not null)
        {
            await Json.WriteTextAsync(context, StatusCodes.Status200OK, Json.IncomeByTxText(deposit));
            return;
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["currency"] = deposit.Currency,
            ["income"] = Json.Income(deposit),
        });
    }

    private static async Task SendWithdrawalAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "decode payload err");
        var userId = Json.OptionalString(body, "user_id");
        var queryId = Json.OptionalString(body, "query_id");
        var currency = Json.OptionalString(body, "currency") ?? string.Empty;
        var destination = Json.OptionalString(body, "destination");
        var comment = Json.OptionalString(body, "comment");
        BigInteger amount;
        try
        {
            amount = Json.OptionalInteger(body, "amount") ?? BigInteger.Zero;
        }
        catch (SimulatorInputException ex)
        {
            throw new SimulatorInputException($"decode payload err: {ex.Message}", ex);
        }

        if (string.IsNullOrEmpty(userId))
        {
            throw new SimulatorInputException("need to provide user ID");
        }

        if (string.IsNullOrEmpty(queryId))
        {
            throw new SimulatorInputException("need to provide query ID");
        }

        if (!state.Currencies.Contains(currency, StringComparer.Ordinal))
        {
            throw new SimulatorInputException("convert withdrawal err: invalid currency");
        }

        try
        {
            ValidateAddress(state, destination, "destination");
        }
        catch (SimulatorInputException ex)
        {
            throw new SimulatorInputException($"convert withdrawal err: {ex.Message}", ex);
        }

        if (amount <= BigInteger.Zero)
        {
            throw new SimulatorInputException("convert withdrawal err: amount must be > 0");
        }

        if (state.FindAddressOwner(destination) is not null)
        {
            throw new SimulatorInputException("withdrawal to service internal addresses not supported");
        }

        if (state.WithdrawalAcceptDelay is { Ticks: > 0 } accept)
        {
            // A caller that leaves meanwhile cancels this: nothing is stored, as if the request never arrived.
            await Task.Delay(accept, context.RequestAborted);
        }

        var withdrawal = state.AddWithdrawal(userId, queryId, currency, amount, destination!, comment);
        if (state.WithdrawalAnswerDelay is { Ticks: > 0 } delay)
        {
            // Stored already: a caller killed meanwhile never hears the id (a test of exactly that).
            await Task.Delay(delay, CancellationToken.None);
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["ID"] = withdrawal.Id });
    }

    private static async Task WithdrawalStatusAsync(HttpContext context, ProcessorState state)
    {
        var idText = Query(context, "id");
        if (idText.Length == 0)
        {
            throw new SimulatorInputException("need to provide request ID");
        }

        if (!long.TryParse(idText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
        {
            throw new SimulatorInputException($"convert request ID err: invalid syntax '{idText}'");
        }

        var withdrawal = state.GetWithdrawal(id) ?? throw new SimulatorInputException("request ID not found");
        // bicycle's tx_hash is omitempty: only a processed withdrawal has one.
        var answer = new JsonObject
        {
            ["user_id"] = withdrawal.UserId,
            ["query_id"] = withdrawal.QueryId,
            ["status"] = withdrawal.Status,
        };
        if (withdrawal.TxHash is { } txHash)
        {
            answer["tx_hash"] = txHash;
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, answer);
    }

    private static async Task ServiceTonWithdrawalAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "decode payload err");
        RequireKnownDeposit(state, Json.OptionalString(body, "from"), "from");
        await WriteMemoAsync(context);
    }

    private static async Task ServiceJettonWithdrawalAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "decode payload err");
        RequireKnownDeposit(state, Json.OptionalString(body, "owner"), "from");
        try
        {
            ValidateAddress(state, Json.OptionalString(body, "jetton_master"), "jetton master");
        }
        catch (SimulatorInputException ex)
        {
            throw new SimulatorInputException($"convert service withdrawal err: {ex.Message}", ex);
        }

        await WriteMemoAsync(context);
    }

    private static void RequireKnownDeposit(ProcessorState state, string? address, string what)
    {
        try
        {
            ValidateAddress(state, address, what);
        }
        catch (SimulatorInputException ex)
        {
            throw new SimulatorInputException($"convert service withdrawal err: {ex.Message}", ex);
        }

        if (state.FindAddressOwner(address) is null)
        {
            throw new SimulatorInputException("convert service withdrawal err: unknown deposit address");
        }
    }

    private static Task WriteMemoAsync(HttpContext context) =>
        Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["memo"] = Guid.NewGuid().ToString("D", CultureInfo.InvariantCulture),
        });

    private static async Task BalanceAsync(HttpContext context, ProcessorState state)
    {
        var currency = Query(context, "currency");
        state.RequireCurrency(currency);
        var address = Query(context, "address");
        if (address.Length == 0)
        {
            // The hot wallet's holding of the currency (TON, or a jetton: swept in, minus sent) and what it has queued to send.
            var hot = state.GetHotWallet(currency);
            await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
            {
                ["balance"] = Json.Format(hot.Balance),
                ["status"] = "active",
                ["total_processing_amount"] = Json.Format(hot.Processing),
                ["total_pending_amount"] = Json.Format(hot.Pending),
            });
            return;
        }

        ValidateAddress(state, address, "account");
        // A deposit address holds of its currency what was not swept to the hot wallet yet (Simulator:SweepDelaySeconds).
        var balance = state.GetUnsweptBalance(address, currency);
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["balance"] = Json.Format(balance),
            ["status"] = "active",
        });
    }

    private static async Task ResolveAsync(HttpContext context, ProcessorState state)
    {
        if (Query(context, "domain").Length == 0)
        {
            throw new SimulatorInputException("need to provide domain");
        }

        await Json.WriteErrorAsync(context, StatusCodes.Status404NotFound, "not found");
    }

    private static async Task SyncAsync(HttpContext context, ProcessorState state)
    {
        var sync = state.GetSyncStatus();
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["is_synced"] = sync.IsSynced,
            ["last_block_gen_utime"] = sync.LastBlockGenUtime,
        });
    }

    private static bool TryParseInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}

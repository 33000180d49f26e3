using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TheOpenMoney.Simulators;

/// <summary>
/// Test-only control routes of the processor fake under /_sim (no auth). Rejected input is 400 <c>{"error": …}</c>.
/// <list type="bullet">
/// <item><c>POST /_sim/deposits</c> <c>{"user_id" | "deposit_address", "amount", "currency"?, "comment"?, "source_address"?,
/// "time"?, "tx_hash"?, "duplicate"?}</c>: one deposit to a simulator-generated address (the user's first one of the
/// currency for <c>user_id</c>); <c>currency</c> is TON when not given, else one of <c>Simulator:Currencies</c> and, with
/// <c>deposit_address</c>, that address's; <c>amount</c> in the currency's base units. Answers the income with
/// <c>user_id</c>. A stored tx_hash is 409 unless <c>duplicate</c>.</item>
/// <item><c>POST /_sim/deposits/batch</c> <c>{"deposits": [ … ]}</c>: the same, all or none; answers <c>{"count"}</c>.</item>
/// <item><c>POST /_sim/deposits/raw</c> <c>{"user_id"?: "orders", "income": "&lt;text&gt;", "tx_hash"?, "webhook_body"?, "currency"?}</c>:
/// a row the typed model cannot hold (amount <c>"-5"</c> or a number, <c>time</c> as a string, an invalid escape
/// such as <c>\ud800</c>, missing fields, text that is not JSON at all). <c>income</c> is the text of ONE income
/// object, served byte for byte inside the <c>incomes</c> array of GET /v1/deposit/history (a JSON value other
/// than a string is taken as its own raw text); it takes its place in the user's history in injection order,
/// dated the injection time for ordering, visibility and lag. With <c>tx_hash</c>, GET /v1/deposit/income?tx_hash=
/// answers <c>{"currency":"TON","income":&lt;text&gt;}</c> (or the row's <c>currency</c>; the first stored row with that hash wins). The webhook
/// pusher pushes <c>webhook_body</c>, else the income text, verbatim. Never validated (a repeated tx_hash is fine),
/// never counted in /v1/income or /v1/balance. Unknown fields are rejected. Answers <c>{"sequence", "user_id", "time"}</c>.</item>
/// <item><c>POST /_sim/deposits/raw/batch</c> <c>{"rows": [ … ]}</c>: the same, all or none, in order; answers
/// <c>{"count", "sequences"}</c>.</item>
/// <item><c>POST /_sim/lag</c> <c>{"seconds"}</c>: deposits dated after now − seconds are not visible yet; sync reports it.</item>
/// <item><c>POST /_sim/fail</c> <c>{"count", "status"?}</c>: the next /v1/* requests fail.</item>
/// <item><c>POST /_sim/webhook</c> <c>{"endpoint", "token"?}</c>: (re)enables pushing (null endpoint: off).</item>
/// <item><c>POST /_sim/withdrawals</c> <c>{"hold"?: bool, "fail_next"?: n, "accept_delay_ms"?: n, "answer_delay_ms"?: n, "sweep_delay_seconds"?: n}</c>:
/// hold every withdrawal where it is, plan the next n to fail, make a send wait before it is stored (a caller gone
/// meanwhile leaves nothing) or after (its answer comes late), or change how long deposits take to be swept to the
/// hot wallet. <c>GET /_sim/withdrawals</c>: every withdrawal.</item>
/// <item><c>GET /_sim/state</c>: counts; <c>POST /_sim/reset</c>: drops deposits, lag, failures and counters.</item>
/// </list>
/// </summary>
internal static class SimControlApi
{
    private static readonly HashSet<string> RawFields = new(StringComparer.Ordinal) { "user_id", "income", "tx_hash", "webhook_body", "currency" };

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/_sim/deposits", Handle(InjectDepositAsync));
        routes.MapPost("/_sim/deposits/batch", Handle(InjectBatchAsync));
        routes.MapPost("/_sim/deposits/raw", Handle(InjectRawAsync));
        routes.MapPost("/_sim/deposits/raw/batch", Handle(InjectRawBatchAsync));
        routes.MapPost("/_sim/lag", Handle(SetLagAsync));
        routes.MapPost("/_sim/fail", Handle(FailAsync));
        routes.MapPost("/_sim/webhook", Handle(WebhookAsync));
        routes.MapPost("/_sim/withdrawals", Handle(ControlWithdrawalsAsync));
        routes.MapGet("/_sim/withdrawals", Handle(ListWithdrawalsAsync));
        routes.MapGet("/_sim/state", Handle(StateAsync));
        routes.MapPost("/_sim/reset", Handle(ResetAsync));
    }

    private static RequestDelegate Handle(Func<HttpContext, ProcessorState, Task> handler) => StateHandler.For(handler);

    private static async Task InjectDepositAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid body");
        var deposit = state.InjectDeposit(ReadInjection(body));
        var answer = Json.Income(deposit);
        answer["user_id"] = deposit.UserId;
        await Json.WriteAsync(context, StatusCodes.Status200OK, answer);
    }

    private static async Task InjectBatchAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid body");
        if (!body.TryGetProperty("deposits", out var items) || items.ValueKind != JsonValueKind.Array)
        {
            throw new SimulatorInputException("deposits must be an array");
        }

        var injections = new List<DepositInjection>(items.GetArrayLength());
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new SimulatorInputException($"deposits[{index}]: must be an object");
            }

            try
            {
                injections.Add(ReadInjection(item));
            }
            catch (SimulatorInputException ex)
            {
                throw new SimulatorInputException($"deposits[{index}]: {ex.Message}", ex.StatusCode);
            }

            index++;
        }

        var stored = state.InjectDeposits(injections);
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["count"] = stored.Count });
    }

    private static DepositInjection ReadInjection(JsonElement body)
    {
        var amount = Json.OptionalInteger(body, "amount") ?? throw new SimulatorInputException("amount is required");
        if (amount <= BigInteger.Zero)
        {
            throw new SimulatorInputException("amount must be > 0");
        }

        return new DepositInjection
        {
            UserId = Json.OptionalString(body, "user_id"),
            DepositAddress = Json.OptionalString(body, "deposit_address"),
            Currency = Json.OptionalString(body, "currency"),
            Amount = amount,
            Comment = Json.OptionalString(body, "comment"),
            SourceAddress = Json.OptionalString(body, "source_address"),
            Time = Json.OptionalLong(body, "time"),
            TxHash = Json.OptionalString(body, "tx_hash"),
            Duplicate = Json.OptionalBool(body, "duplicate"),
        };
    }

    private static async Task InjectRawAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid body");
        var row = state.InjectRawDeposit(ReadRawInjection(body));
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["sequence"] = row.Sequence,
            ["user_id"] = row.UserId,
            ["time"] = row.Time,
        });
    }

    private static async Task InjectRawBatchAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid body");
        if (!body.TryGetProperty("rows", out var items) || items.ValueKind != JsonValueKind.Array)
        {
            throw new SimulatorInputException("rows must be an array");
        }

        var rows = new List<RawDepositInjection>(items.GetArrayLength());
        foreach (var item in items.EnumerateArray())
        {
            try
            {
                rows.Add(item.ValueKind == JsonValueKind.Object
                    ? ReadRawInjection(item)
                    : throw new SimulatorInputException("must be an object"));
            }
            catch (SimulatorInputException ex)
            {
                throw new SimulatorInputException($"rows[{rows.Count}]: {ex.Message}", ex.StatusCode);
            }
        }

        var stored = state.InjectRawDeposits(rows);
        var sequences = new JsonArray();
        foreach (var row in stored)
        {
            sequences.Add(row.Sequence);
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["count"] = stored.Count,
            ["sequences"] = sequences,
        });
    }

    private static RawDepositInjection ReadRawInjection(JsonElement body)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (!RawFields.Contains(property.Name))
            {
                throw new SimulatorInputException($"unknown field '{property.Name}' (expected user_id, income, tx_hash, webhook_body, currency)");
            }
        }

        if (!body.TryGetProperty("income", out var income) || income.ValueKind == JsonValueKind.Null)
        {
            throw new SimulatorInputException("income is required");
        }

        var txHash = Json.OptionalString(body, "tx_hash");
        return new RawDepositInjection
        {
            UserId = Json.OptionalString(body, "user_id") ?? "orders",
            // A string is the row's text; any other JSON value is taken as written in this request.
            Income = income.ValueKind == JsonValueKind.String ? Json.GetString(income, "income") : income.GetRawText(),
            TxHash = string.IsNullOrEmpty(txHash) ? null : txHash,
            WebhookBody = Json.OptionalString(body, "webhook_body"),
            Currency = Json.OptionalString(body, "currency"),
        };
    }

    private static async Task SetLagAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid body");
        var seconds = Json.OptionalLong(body, "seconds") ?? throw new SimulatorInputException("seconds is required");
        state.LagSeconds = seconds;
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["lag_seconds"] = seconds });
    }

    private static Task FailAsync(HttpContext context, ProcessorState state) =>
        InjectedFailures.HandleFailRequestAsync(context, StatusCodes.Status500InternalServerError, (count, status) => state.FailNext(count, status));

    private static async Task WebhookAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid body");
        state.ConfigureWebhook(Json.OptionalString(body, "endpoint"), Json.OptionalString(body, "token"));
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["webhook_enabled"] = state.WebhookEnabled,
        });
    }

    private static async Task StateAsync(HttpContext context, ProcessorState state)
    {
        var requests = new JsonObject();
        foreach (var (key, count) in state.GetRequestCounts().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            requests[key] = count;
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["addresses"] = state.AddressCount,
            ["deposits"] = state.DepositCount,
            ["lag_seconds"] = state.LagSeconds,
            ["webhook_enabled"] = state.WebhookEnabled,
            ["webhook_deliveries"] = state.WebhookDeliveries,
            ["requests"] = requests,
        });
    }

    private static async Task ResetAsync(HttpContext context, ProcessorState state)
    {
        state.Reset();
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["reset"] = true });
    }

    private static async Task ControlWithdrawalsAsync(HttpContext context, ProcessorState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid body");
        bool? hold = null;
        int? failNext = null;
        TimeSpan? answerDelay = null;
        TimeSpan? acceptDelay = null;
        long? sweepDelay = null;
        foreach (var property in body.EnumerateObject())
        {
            switch (property.Name)
            {
                case "hold" when property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    hold = property.Value.GetBoolean();
                    break;
                case "fail_next" when property.Value.TryGetInt32(out var n) && n >= 0:
                    failNext = n;
                    break;
                case "answer_delay_ms" when property.Value.TryGetInt32(out var ms) && ms is >= 0 and <= 600_000:
                    answerDelay = TimeSpan.FromMilliseconds(ms);
                    break;
                case "accept_delay_ms" when property.Value.TryGetInt32(out var acceptMs) && acceptMs is >= 0 and <= 600_000:
                    acceptDelay = TimeSpan.FromMilliseconds(acceptMs);
                    break;
                case "sweep_delay_seconds" when property.Value.TryGetInt64(out var seconds) && seconds >= 0:
                    sweepDelay = seconds;
                    break;
                default:
                    throw new SimulatorInputException($"{property.Name}: unknown field or invalid value");
            }
        }

        state.ControlWithdrawals(hold, failNext, answerDelay, sweepDelay, acceptDelay);
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["ok"] = true });
    }

    private static async Task ListWithdrawalsAsync(HttpContext context, ProcessorState state)
    {
        var items = new JsonArray();
        foreach (var w in state.GetWithdrawals())
        {
            items.Add(new JsonObject
            {
                ["id"] = w.Id,
                ["user_id"] = w.UserId,
                ["query_id"] = w.QueryId,
                ["currency"] = w.Currency,
                ["amount"] = Json.Format(w.Amount),
                ["destination"] = w.Destination,
                ["comment"] = w.Comment,
                ["status"] = w.Status,
                ["tx_hash"] = w.TxHash,
            });
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["withdrawals"] = items });
    }
}

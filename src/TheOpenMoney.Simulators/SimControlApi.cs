using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TheOpenMoney.Simulators;

/// <summary>Test-only control routes under /_sim (no auth).</summary>
internal static class SimControlApi
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/_sim/deposits", Handle(InjectDepositAsync));
        routes.MapPost("/_sim/deposits/batch", Handle(InjectBatchAsync));
        routes.MapPost("/_sim/lag", Handle(SetLagAsync));
        routes.MapPost("/_sim/fail", Handle(FailAsync));
        routes.MapPost("/_sim/webhook", Handle(WebhookAsync));
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
            Amount = amount,
            Comment = Json.OptionalString(body, "comment"),
            SourceAddress = Json.OptionalString(body, "source_address"),
            Time = Json.OptionalLong(body, "time"),
            TxHash = Json.OptionalString(body, "tx_hash"),
            Duplicate = Json.OptionalBool(body, "duplicate"),
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
}

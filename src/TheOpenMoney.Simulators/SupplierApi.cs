using System.Text.Json;
using System.Text.Json.Nodes;

namespace TheOpenMoney.Simulators;

/// <summary>
/// The Fragment-style supplier fake (/supplier/v1/*) that delivers Telegram Stars and
/// Premium, plus its test controls under /_sim/supplier/*.
/// </summary>
internal static class SupplierApi
{
    public const string IdempotencyHeader = "Idempotency-Key";
    private const int MaxKeyLength = 255;
    private const int MaxUsernameLength = 32;
    private const long MaxStars = 1_000_000;

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/supplier/v1/health", (RequestDelegate)(context =>
            Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["ok"] = true })));
        routes.MapPost("/supplier/v1/deliveries", Authorized(DeliverAsync));
        routes.MapGet("/supplier/v1/deliveries/{key}", Authorized(LookupAsync));

        routes.MapPost("/_sim/supplier/fail", Control(FailAsync));
        routes.MapPost("/_sim/supplier/delay", Control(DelayAsync));
        routes.MapGet("/_sim/supplier/state", Control(StateAsync));
        routes.MapPost("/_sim/supplier/reset", Control(ResetAsync));
    }

    private static RequestDelegate Authorized(Func<HttpContext, SupplierState, Task> handler) =>
        async context =>
        {
            var options = context.RequestServices.GetRequiredService<SimulatorOptions>();
            if (!ProcessorApi.IsAuthorized(context.Request, options.SupplierApiKey))
            {
                await Json.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized");
                return;
            }

            await Control(handler)(context);
        };

    private static RequestDelegate Control(Func<HttpContext, SupplierState, Task> handler) => StateHandler.For(handler);

    private static async Task DeliverAsync(HttpContext context, SupplierState state)
    {
        // A transient outage answers before anything is looked at, recorded or remembered.
        if (state.TryConsumeFailure(out var failStatus))
        {
            await Json.WriteErrorAsync(context, failStatus, "supplier unavailable");
            return;
        }

        var key = context.Request.Headers[IdempotencyHeader].ToString().Trim();
        if (key.Length == 0)
        {
            throw new SimulatorInputException($"{IdempotencyHeader} header is required");
        }

        if (key.Length > MaxKeyLength || key.Any(char.IsControl))
        {
            throw new SimulatorInputException($"{IdempotencyHeader} must be 1-{MaxKeyLength} printable characters");
        }

        var body = await Json.ReadObjectAsync(context, "invalid body");
        var request = ReadRequest(body);
        var (answer, replayed) = state.Deliver(key, request);
        if (!replayed && answer.Outcome == SupplierAnswer.Delivered)
        {
            var delay = state.DelayMs;
            if (delay > 0)
            {
                var clock = context.RequestServices.GetRequiredService<TimeProvider>();
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(delay), clock, context.RequestAborted);
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    // The client went away after the delivery was recorded; that is the point.
                    return;
                }
            }
        }

        if (replayed)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        await Json.WriteAsync(context, answer.StatusCode, Body(answer));
    }

    private static async Task LookupAsync(HttpContext context, SupplierState state)
    {
        var key = context.Request.RouteValues["key"] as string ?? string.Empty;
        var answer = state.FindAnswer(key);
        if (answer is null)
        {
            await Json.WriteErrorAsync(context, StatusCodes.Status404NotFound, "not found");
            return;
        }

        var body = Body(answer);
        body["status"] = answer.Outcome;
        await Json.WriteAsync(context, StatusCodes.Status200OK, body);
    }

    /// <summary>The body answered (and replayed) for a remembered answer.</summary>
    private static JsonObject Body(SupplierAnswer answer) =>
        answer.Outcome == SupplierAnswer.Delivered
            ? new JsonObject
            {
                ["reference"] = answer.Reference,
                ["status"] = SupplierAnswer.Delivered,
                ["order_id"] = answer.OrderId,
            }
            : new JsonObject
            {
                ["error"] = answer.Error,
                ["code"] = answer.Code,
            };

    private static SupplierDeliveryRequest ReadRequest(JsonElement body)
    {
        var orderId = Json.OptionalLong(body, "order_id") ?? throw new SimulatorInputException("order_id is required");
        if (orderId <= 0)
        {
            throw new SimulatorInputException("order_id must be > 0");
        }

        var product = Json.OptionalString(body, "product") switch
        {
            "stars" => SupplierProduct.Stars,
            "premium" => SupplierProduct.Premium,
            null or "" => throw new SimulatorInputException("product is required"),
            _ => throw new SimulatorInputException("product must be \"stars\" or \"premium\""),
        };

        var username = Json.OptionalString(body, "username") ?? string.Empty;
        if (username.StartsWith('@'))
        {
            username = username[1..];
        }

        if (username.Length == 0)
        {
            throw new SimulatorInputException("username is required");
        }

        if (username.Length > MaxUsernameLength || !username.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new SimulatorInputException(
                $"username must be 1-{MaxUsernameLength} characters of letters, digits and underscores");
        }

        if (product == SupplierProduct.Stars)
        {
            var quantity = Json.OptionalLong(body, "quantity") ?? throw new SimulatorInputException("quantity is required for stars");
            if (quantity is < 1 or > MaxStars)
            {
                throw new SimulatorInputException($"quantity must be between 1 and {MaxStars}");
            }

            return new SupplierDeliveryRequest(orderId, product, username, quantity, Months: null);
        }

        var months = Json.OptionalLong(body, "months") ?? throw new SimulatorInputException("months is required for premium");
        if (months is not (3 or 6 or 12))
        {
            throw new SimulatorInputException("months must be 3, 6 or 12");
        }

        return new SupplierDeliveryRequest(orderId, product, username, Quantity: null, (int)months);
    }

    private static Task FailAsync(HttpContext context, SupplierState state) =>
        InjectedFailures.HandleFailRequestAsync(context, StatusCodes.Status503ServiceUnavailable, (count, status) => state.FailNext(count, status));

    private static async Task DelayAsync(HttpContext context, SupplierState state)
    {
        var body = await Json.ReadObjectAsync(context, "invalid body");
        var ms = Json.OptionalLong(body, "ms") ?? throw new SimulatorInputException("ms is required");
        if (ms > int.MaxValue)
        {
            throw new SimulatorInputException("ms is too large");
        }

        state.DelayMs = (int)ms;
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["ms"] = ms });
    }

    private static async Task StateAsync(HttpContext context, SupplierState state)
    {
        var byOrder = new JsonObject();
        foreach (var (orderId, count) in state.DeliveriesByOrder().OrderBy(p => p.Key))
        {
            byOrder[Json.Format(orderId)] = count;
        }

        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["total_deliveries"] = state.TotalDeliveries,
            ["by_order"] = byOrder,
        });
    }

    private static async Task ResetAsync(HttpContext context, SupplierState state)
    {
        state.Reset();
        await Json.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["reset"] = true });
    }
}

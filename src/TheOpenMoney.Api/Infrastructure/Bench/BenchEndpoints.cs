using System.Collections.Concurrent;

namespace TheOpenMoney.Api.Infrastructure.Bench;

/// <summary>
/// Only with <c>Bench:Enabled=true</c> (the benchmark sets it): <c>GET /bench/fixed/{bytes}</c> answers a
/// fixed JSON body of that size with no key and no database, in the same process and pipeline: the
/// framework's ceiling the real endpoints are compared with. <c>GET /bench/keyed/{bytes}</c> is the same
/// behind the key check.
/// </summary>
public static class BenchEndpoints
{
    private static readonly ConcurrentDictionary<int, byte[]> Bodies = new();

    public static WebApplication MapBenchEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Configuration.GetValue<bool>("Bench:Enabled"))
        {
            return app;
        }

        app.MapGet("/bench/fixed/{bytes:int:range(16,1048576)}", (int bytes) =>
                Results.Bytes(Bodies.GetOrAdd(bytes, Body), "application/json; charset=utf-8"))
            .AllowAnonymous()
            .ExcludeFromDescription();
        // The same body behind the partner key check (one database lookup), to split a keyed
        // endpoint's cost into the key check and the rest.
        app.MapGet("/bench/keyed/{bytes:int:range(16,1048576)}", (int bytes) =>
                Results.Bytes(Bodies.GetOrAdd(bytes, Body), "application/json; charset=utf-8"))
            .RequireAuthorization()
            .ExcludeFromDescription();
        return app;
    }

    private static byte[] Body(int bytes)
    {
        const string head = "{\"ok\":true,\"data\":\"";
        const string tail = "\"}";
        var filler = new string('x', Math.Max(0, bytes - head.Length - tail.Length));
        return Encoding.UTF8.GetBytes(head + filler + tail);
    }
}

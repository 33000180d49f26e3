using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, random port) whose answer a test sets at run time:
/// stands in for outside services (rate source, recipient directory) over real sockets.
/// </summary>
public sealed class FakeHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private FakeHttpServer(WebApplication app) => _app = app;

    public Func<HttpContext, Task> Handler { get; set; } = context =>
    {
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    };

    public int Requests => Volatile.Read(ref _requests);

    public string Url => _app.Urls.First();

    public static async Task<FakeHttpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeHttpServer(app);
        app.Run(context =>
        {
            Interlocked.Increment(ref server._requests);
            return server.Handler(context);
        });
        await app.StartAsync();
        return server;
    }

    /// <summary>Answers every request with this status and JSON body.</summary>
    public void RespondJson(int status, string json) => Handler = async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

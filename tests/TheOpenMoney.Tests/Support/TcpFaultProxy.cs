using System.Net.Sockets;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL here) that a test can break the way
/// a database breaks, without touching the server other tests share:
/// <list type="bullet">
/// <item><see cref="Stop"/>: like a stopped server: every open connection is reset and new ones are
/// refused (accepted and reset at once);</item>
/// <item><see cref="Freeze"/>: like a server stopped with SIGSTOP: connections are accepted and stay
/// open, but not a byte moves either way;</item>
/// <item><see cref="Resume"/>: back to normal (bytes held while frozen flow on).</item>
/// </list>
/// </summary>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(TcpClient Client, TcpClient Upstream)> _pairs = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _flowing = NewOpenGate();
    private volatile bool _refusing;
    private Task? _acceptLoop;

    public TcpFaultProxy(string targetHost, int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Parse(targetHost == "localhost" ? "127.0.0.1" : targetHost), targetPort);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Resets every open connection and refuses new ones.</summary>
    public void Stop()
    {
        _refusing = true;
        List<(TcpClient, TcpClient)> pairs;
        lock (_gate)
        {
            pairs = [.. _pairs];
            _pairs.Clear();
        }

        foreach (var (client, upstream) in pairs)
        {
            Reset(client);
            Reset(upstream);
        }
    }

    /// <summary>Holds every byte in both directions; connections stay open.</summary>
    public void Freeze()
    {
        lock (_gate)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void Resume()
    {
        _refusing = false;
        lock (_gate)
        {
            _flowing.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Stop();
        Resume();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        _stopping.Dispose();
    }

    private static TaskCompletionSource NewOpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    private static void Reset(TcpClient client)
    {
        try
        {
            // Client is null once the pipe's own task has closed this side.
            if (client.Client is { } socket)
            {
                socket.LingerState = new LingerOption(true, 0);
            }

            client.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_refusing)
            {
                Reset(client);
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(_target, _stopping.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            Reset(client);
            upstream.Dispose();
            return;
        }

        lock (_gate)
        {
            _pairs.Add((client, upstream));
        }

        await Task.WhenAny(PumpAsync(client, upstream), PumpAsync(upstream, client));
        lock (_gate)
        {
            _pairs.Remove((client, upstream));
        }

        Reset(client);
        Reset(upstream);
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var source = from.GetStream();
            var target = to.GetStream();
            while (true)
            {
                var read = await source.ReadAsync(buffer, _stopping.Token);
                if (read == 0)
                {
                    return;
                }

                Task gate;
                lock (_gate)
                {
                    gate = _flowing.Task;
                }

                await gate.WaitAsync(_stopping.Token);
                await target.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection ended (or was reset on purpose).
        }
    }
}

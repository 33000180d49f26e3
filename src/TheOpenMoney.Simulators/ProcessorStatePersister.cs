namespace TheOpenMoney.Simulators;

/// <summary>
/// Saves the processor's state to <see cref="SimulatorOptions.StateFile"/> after changes, at most once per
/// <see cref="Interval"/>, and once more when the application has stopped (after the server and the webhook
/// pusher, so the last requests and pushes are in it). The snapshot is taken under the state's lock; the
/// JSON is written outside it, atomically (<see cref="ProcessorStateFile.WriteAsync"/>). A failed save is
/// logged and retried at the next tick.
/// </summary>
internal sealed class ProcessorStatePersister : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly ProcessorState _state;
    private readonly string _path;
    private readonly ILogger<ProcessorStatePersister> _logger;
    private readonly SemaphoreSlim _saving = new(1, 1);
    private readonly CancellationTokenRegistration _stopped;
    private long _saved;
    private bool _failing;

    public ProcessorStatePersister(
        ProcessorState state,
        SimulatorOptions options,
        IHostApplicationLifetime lifetime,
        ILogger<ProcessorStatePersister> logger)
    {
        _state = state;
        _path = Path.GetFullPath(options.StateFile ?? throw new InvalidOperationException("Simulator:StateFile is not set"));
        _logger = logger;
        // Whatever was loaded is on disk already; only later changes need a save.
        _saved = state.Changes;
        _stopped = lifetime.ApplicationStopped.Register(() => SaveIfChangedAsync(CancellationToken.None).GetAwaiter().GetResult());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SaveIfChangedAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the ApplicationStopped callback makes the final save.
        }
    }

    /// <summary>Writes a snapshot when the state changed since the last successful save.</summary>
    private async Task SaveIfChangedAsync(CancellationToken cancellationToken)
    {
        await _saving.WaitAsync(cancellationToken);
        try
        {
            if (_state.Changes == Volatile.Read(ref _saved))
            {
                return;
            }

            var snapshot = _state.Snapshot();
            await ProcessorStateFile.WriteAsync(_path, snapshot, cancellationToken);
            Volatile.Write(ref _saved, snapshot.Changes);
            if (_failing)
            {
                _failing = false;
                _logger.LogWarning("Saved the simulator state to {Path} again", _path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Logged once per run of failures; every tick tries again.
            if (!_failing)
            {
                _failing = true;
                _logger.LogError(ex, "Could not save the simulator state to {Path}; retrying every {Interval}", _path, Interval);
            }
        }
        finally
        {
            _saving.Release();
        }
    }

    public override void Dispose()
    {
        _stopped.Dispose();
        _saving.Dispose();
        base.Dispose();
    }
}

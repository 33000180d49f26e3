namespace TheOpenMoney.Api.Infrastructure.Background;

/// <summary>
/// The one loop every background job runs on. Each run: leadership (when the job has a
/// <see cref="BackgroundJobOptions.LeaderLockKey"/>), a fresh DI scope, the job. Then, by its outcome:
/// idle waits for the next interval (fixed rate), more work runs again at once (up to
/// <see cref="BackgroundJobOptions.MoreWorkLimit"/> in a row), wait waits as asked, finished ends the
/// loop. A failure is logged once (Warning unless the job asked for more, with the job's name and the
/// failure's kind), recorded in <see cref="JobStatusRegistry"/>, and retried after a jittered
/// exponential backoff that a success resets. Stopping cancels the run and never logs an error; it
/// waits for the run at most <see cref="BackgroundJobOptions.StopTimeout"/>, then releases leadership.
/// </summary>
public sealed partial class JobRunner<TJob> : BackgroundService
    where TJob : class, IBackgroundJob
{
    private readonly IServiceScopeFactory _scopes;
    private readonly JobStatusRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BackgroundJobOptions _options;
    private readonly PostgresLeaderLock? _leader;
    private readonly Backoff _failures;
    private readonly SemaphoreSlim _oneRunAtATime = new(1, 1);

    public JobRunner(
        IServiceProvider services,
        IServiceScopeFactory scopes,
        IOptionsMonitor<BackgroundJobOptions> options,
        JobStatusRegistry registry,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _scopes = scopes;
        _registry = registry;
        _time = time;
        _options = options.Get(OptionsName);
        _logger = loggers.CreateLogger(typeof(TJob).FullName!);
        _failures = new Backoff(_options.EffectiveFailureBackoff, _options.EffectiveFailureBackoffCap);
        if (_options.LeaderLockKey is { } key)
        {
            _leader = new PostgresLeaderLock(services.GetRequiredKeyedService<NpgsqlDataSource>(DataSources.Sessions), key, _options.Name, _logger);
        }
    }

    /// <summary>The name of this job's <see cref="BackgroundJobOptions"/>.</summary>
    public static string OptionsName => typeof(TJob).FullName!;

    /// <summary>
    /// One run now, in turn with the loop: the leadership check, a fresh scope, the job. False when
    /// another instance leads (the job did not run). The job's failure is recorded and thrown.
    /// </summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken) => await RunAsync(cancellationToken) is not null;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            bound.CancelAfter(_options.StopTimeout);
            // Cancels the loop's token, then waits for the loop to end, at most until the bound.
            await base.StopAsync(bound.Token);
        }

        if (ExecuteTask is { IsCompleted: false })
        {
            LogStopTimedOut(_logger, _options.Name, (long)_options.StopTimeout.TotalMilliseconds);
        }

        if (_leader is null)
        {
            return;
        }

        // A run started by RunOnceAsync may still hold the turn: wait for it within what is left of the bound, then release anyway.
        var left = _options.StopTimeout - _time.GetElapsedTime(started);
        var idle = left > TimeSpan.Zero && await _oneRunAtATime.WaitAsync(left, CancellationToken.None);
        try
        {
            await _leader.StopAsync();
            _registry.Leader(typeof(TJob), false);
        }
        finally
        {
            if (idle)
            {
                _oneRunAtATime.Release();
            }
        }
    }

    public override void Dispose()
    {
        // The semaphore is not disposed: the host may still be inside StopAsync when it disposes
        // services, and a SemaphoreSlim without a wait handle holds nothing to release.
        _leader?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runsInARow = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = _time.GetTimestamp();
            TimeSpan wait;
            try
            {
                var outcome = await RunAsync(stoppingToken);
                _failures.Reset();
                runsInARow = outcome?.Kind == JobOutcomeKind.MoreWork ? runsInARow + 1 : 0;
                switch (outcome)
                {
                    case null:
                        wait = _options.EffectiveFollowerRetryInterval;
                        break;
                    case { Kind: JobOutcomeKind.Finished }:
                        return;
                    case { Kind: JobOutcomeKind.Wait }:
                        wait = outcome.Delay;
                        break;
                    case { Kind: JobOutcomeKind.MoreWork } when runsInARow < _options.MoreWorkLimit:
                        continue;
                    case { Kind: JobOutcomeKind.MoreWork }:
                        LogMoreWorkLimit(_logger, _options.Name, runsInARow);
                        runsInARow = 0;
                        wait = _options.Interval;
                        break;
                    default:
                        // Fixed rate: the interval counts from the start of the run.
                        wait = _options.Interval - _time.GetElapsedTime(started);
                        break;
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: whatever the cancellation surfaced as, it is not a failure.
                return;
            }
            catch (Exception ex)
            {
                runsInARow = 0;
                wait = _failures.Next();
                var level = ex is JobFailedException loud ? loud.Level : LogLevel.Warning;
                var kind = FailureKind.Of(ex);
                var waitMs = (long)wait.TotalMilliseconds;
                LogFailed(_logger, level, _options.Name, kind, _failures.Failures, waitMs, ex);
            }

            if (!await DelayAsync(wait, stoppingToken))
            {
                return;
            }
        }
    }

    /// <summary>One run: null when another instance leads.</summary>
    private async Task<JobOutcome?> RunAsync(CancellationToken cancellationToken)
    {
        await _oneRunAtATime.WaitAsync(cancellationToken);
        try
        {
            return await RunInTurnAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _registry.Failed(typeof(TJob), _time.GetUtcNow(), FailureKind.Of(ex));
            throw;
        }
        finally
        {
            _oneRunAtATime.Release();
        }
    }

    private async Task<JobOutcome?> RunInTurnAsync(CancellationToken cancellationToken)
    {
        if (_leader is not null)
        {
            try
            {
                if (!await _leader.EnsureHeldAsync(cancellationToken))
                {
                    return null;
                }
            }
            finally
            {
                _registry.Leader(typeof(TJob), _leader.IsHeld);
            }
        }

        await using var scope = _scopes.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<TJob>().RunAsync(cancellationToken);
        _registry.Succeeded(typeof(TJob), _time.GetUtcNow());
        return outcome;
    }

    /// <summary>False when stopping.</summary>
    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            // Still give the rest of the process a turn between back-to-back runs.
            await Task.Yield();
            return !stoppingToken.IsCancellationRequested;
        }

        try
        {
            // Task.Delay takes at most ~49 days; a longer wait is as good as that.
            await Task.Delay(delay < TimeSpan.FromDays(30) ? delay : TimeSpan.FromDays(30), _time, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Message = "Background job {Job} failed ({FailureKind}, {Failures} in a row); next attempt in {DelayMs} ms")]
    private static partial void LogFailed(ILogger logger, LogLevel level, string job, string failureKind, int failures, long delayMs, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Background job {Job} ran {Runs} times in a row with more work; pausing one interval")]
    private static partial void LogMoreWorkLimit(ILogger logger, string job, int runs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Background job {Job} did not stop within {TimeoutMs} ms; leaving it behind")]
    private static partial void LogStopTimedOut(ILogger logger, string job, long timeoutMs);
}

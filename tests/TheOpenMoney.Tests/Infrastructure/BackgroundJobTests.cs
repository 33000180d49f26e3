using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using TheOpenMoney.Api.Infrastructure.Background;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// The one loop every background job runs on (<see cref="JobRunner{TJob}"/>), in real hosts on a real
/// PostgreSQL: interval, a fresh scope per run, the more-work bound, backoff on failure, finishing,
/// stopping, and leadership between two instances through <see cref="PostgresLeaderLock"/>.
/// </summary>
public sealed class BackgroundJobTests
{
    [Fact]
    public async Task Each_run_gets_a_fresh_scope_and_an_idle_job_runs_again_on_its_interval()
    {
        var runs = new RunLog();
        await using var host = await StartAsync(runs, "a", _ => JobOutcome.Idle, job => job.Interval = TimeSpan.FromMilliseconds(50));

        await Eventually.WaitAsync(() => Task.FromResult(runs.Count), n => n >= 4, "four runs");

        var seen = runs.Snapshot();
        Assert.Equal(seen.Count, seen.Select(r => r.Scope).Distinct().Count());
        Assert.NotNull(host.Registry.Get<ProbeJob>().LastSuccessAt);
        Assert.False(host.Registry.Get<ProbeJob>().IsFailing);
    }

    [Fact]
    public async Task More_work_runs_back_to_back_only_up_to_the_limit_then_waits_an_interval()
    {
        var runs = new RunLog();
        await using var host = await StartAsync(runs, "a", _ => JobOutcome.MoreWork, job =>
        {
            job.Interval = TimeSpan.FromHours(1);
            job.MoreWorkLimit = 5;
        });

        await Eventually.WaitAsync(() => Task.FromResult(runs.Count), n => n >= 5, "five runs");
        // A sixth run would need the hour-long interval to pass: once the runner has begun that wait, it cannot come.
        await host.Time.WaitForAsync(TimeSpan.FromHours(1), 1, "the runner waiting its interval");

        Assert.Equal(5, runs.Count);
    }

    [Fact]
    public async Task A_failing_job_backs_off_more_each_time_and_health_shows_the_kind_until_it_succeeds()
    {
        var runs = new RunLog();
        await using var host = await StartAsync(
            runs,
            "a",
            run => run < 3 ? throw new InvalidOperationException("simulated") : JobOutcome.Idle,
            job =>
            {
                job.Interval = TimeSpan.FromHours(1);
                job.FailureBackoff = TimeSpan.FromMilliseconds(100);
                job.FailureBackoffCap = TimeSpan.FromSeconds(10);
            });

        await Eventually.WaitAsync(() => Task.FromResult(runs.Count), n => n >= 2, "a retry after the first failure");
        var failing = host.Registry.Get<ProbeJob>();
        Assert.True(failing.IsFailing);
        Assert.Equal("internal_error", failing.CurrentFailureKind);

        await Eventually.WaitAsync(() => Task.FromResult(host.Registry.Get<ProbeJob>().LastSuccessAt), at => at is not null, "the fourth run succeeding");
        var seen = runs.Snapshot();
        // Waits of at least half of 100, 200 and 400 ms (the jitter takes off at most half), less 5 ms: the runs' times are
        // read from the wall clock while the waits are timers that count whole milliseconds (a 50 ms wait was once 48.8 ms here).
        var clock = TimeSpan.FromMilliseconds(5);
        Assert.True(seen[1].At - seen[0].At >= TimeSpan.FromMilliseconds(50) - clock, $"first wait {(seen[1].At - seen[0].At).TotalMilliseconds} ms");
        Assert.True(seen[2].At - seen[1].At >= TimeSpan.FromMilliseconds(100) - clock, $"second wait {(seen[2].At - seen[1].At).TotalMilliseconds} ms");
        Assert.True(seen[3].At - seen[2].At >= TimeSpan.FromMilliseconds(200) - clock, $"third wait {(seen[3].At - seen[2].At).TotalMilliseconds} ms");
        var recovered = host.Registry.Get<ProbeJob>();
        Assert.False(recovered.IsFailing);
        Assert.Null(recovered.CurrentFailureKind);
        Assert.Equal("internal_error", recovered.LastFailureKind);
    }

    [Fact]
    public async Task A_finished_job_is_not_run_again()
    {
        var runs = new RunLog();
        await using var host = await StartAsync(runs, "a", _ => JobOutcome.Finished, job => job.Interval = TimeSpan.FromMilliseconds(20));

        await Eventually.WaitAsync(() => Task.FromResult(runs.Count), n => n >= 1, "the one run");
        // Once the runner's loop has ended, nothing can run the job again.
        await Eventually.WaitAsync(() => Task.FromResult(host.Runner.ExecuteTask), loop => loop is { IsCompleted: true }, "the runner's loop ending");

        Assert.Equal(1, runs.Count);
    }

    [Fact]
    public async Task Stopping_cancels_a_run_in_progress_and_records_no_failure()
    {
        var runs = new RunLog();
        var host = await StartAsync(runs, "a", _ => JobOutcome.Idle, job => job.Interval = TimeSpan.FromMilliseconds(20), blockUntilCancelled: true);

        await Eventually.WaitAsync(() => Task.FromResult(runs.Count), n => n >= 1, "the run that blocks");
        await host.DisposeAsync();

        Assert.Equal(1, runs.Count);
        Assert.False(host.Registry.Get<ProbeJob>().IsFailing);
        Assert.Null(host.Registry.Get<ProbeJob>().LastFailureAt);
    }

    [Fact]
    public async Task With_a_leader_lock_one_instance_runs_the_job_and_the_other_takes_over_when_it_stops()
    {
        var key = Random.Shared.NextInt64(1, long.MaxValue);
        var runs = new RunLog();
        void Leader(BackgroundJobOptions job)
        {
            job.Interval = TimeSpan.FromMilliseconds(30);
            job.LeaderLockKey = key;
            job.FollowerRetryInterval = TimeSpan.FromMilliseconds(30);
        }

        // Advisory locks are per database: both instances use one.
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var first = await StartAsync(runs, "first", _ => JobOutcome.Idle, Leader, database: database);
        await Eventually.WaitAsync(() => Task.FromResult(runs.Count), n => n >= 1, "the first instance leading");
        await using var second = await StartAsync(runs, "second", _ => JobOutcome.Idle, Leader, database: database);
        var secondStarted = DateTimeOffset.UtcNow;
        await Eventually.WaitAsync(() => Task.FromResult(runs.Count), n => n >= 10, "ten runs");
        // The second instance has tried to lead every 30 ms meanwhile, and never ran the job.
        Assert.All(runs.Snapshot(), r => Assert.Equal("first", r.Host));
        Assert.True(first.Registry.Get<ProbeJob>().IsLeader);
        Assert.False(second.Registry.Get<ProbeJob>().IsLeader);
        Assert.False(await second.Runner.RunOnceAsync(CancellationToken.None));

        // Leadership is released while the host stops, before DisposeAsync returns.
        var stoppingAt = DateTimeOffset.UtcNow;
        await first.DisposeAsync();
        await Eventually.WaitAsync(() => Task.FromResult(runs.Snapshot().Count(r => r.Host == "second")), n => n >= 3, "the second instance taking over");

        Assert.All(runs.Snapshot().Where(r => r.Host == "second"), r => Assert.True(r.At >= stoppingAt && r.At >= secondStarted));
        Assert.True(second.Registry.Get<ProbeJob>().IsLeader);
        Assert.False(first.Registry.Get<ProbeJob>().IsLeader);
    }

    private static async Task<TestHost> StartAsync(
        RunLog runs,
        string name,
        Func<int, JobOutcome> behaviour,
        Action<BackgroundJobOptions> configure,
        bool blockUntilCancelled = false,
        string? database = null)
    {
        var connectionString = database ?? await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(NpgsqlDataSource.Create(connectionString));
        // Leader locks take the session-bound data source (the server itself, never a transaction pooler).
        builder.Services.AddKeyedSingleton(TheOpenMoney.Api.Infrastructure.Data.DataSources.Sessions, (_, _) => NpgsqlDataSource.Create(connectionString));
        var time = new CountingTimeProvider();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton(new ProbeBehaviour(name, runs, behaviour, blockUntilCancelled));
        builder.Services.AddScoped<ScopeMarker>();
        builder.Services.AddBackgroundJob<ProbeJob>(configure);
        var host = builder.Build();
        await host.StartAsync();
        return new TestHost(host, time);
    }

    private sealed class TestHost(IHost host, CountingTimeProvider time) : IAsyncDisposable
    {
        private bool _stopped;

        public CountingTimeProvider Time { get; } = time;

        public JobStatusRegistry Registry { get; } = host.Services.GetRequiredService<JobStatusRegistry>();

        public JobRunner<ProbeJob> Runner { get; } = host.Services.GetRequiredService<JobRunner<ProbeJob>>();

        public async ValueTask DisposeAsync()
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StopAsync(bound.Token);
            host.Dispose();
        }
    }

    private sealed record Run(string Host, Guid Scope, DateTimeOffset At);

    private sealed class RunLog
    {
        private readonly ConcurrentQueue<Run> _runs = new();

        public int Count => _runs.Count;

        public void Add(Run run) => _runs.Enqueue(run);

        public List<Run> Snapshot() => [.. _runs];
    }

    private sealed record ProbeBehaviour(string Host, RunLog Runs, Func<int, JobOutcome> Next, bool BlockUntilCancelled)
    {
        private int _runs;

        public int NextRun() => Interlocked.Increment(ref _runs) - 1;
    }

    private sealed class ScopeMarker
    {
        public Guid Id { get; } = Guid.NewGuid();
    }

    private sealed class ProbeJob(ProbeBehaviour behaviour, ScopeMarker scope) : IBackgroundJob
    {
        public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
        {
            var run = behaviour.NextRun();
            behaviour.Runs.Add(new Run(behaviour.Host, scope.Id, DateTimeOffset.UtcNow));
            if (behaviour.BlockUntilCancelled)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return behaviour.Next(run);
        }
    }
}

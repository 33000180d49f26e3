namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>Names of the keyed <see cref="NpgsqlDataSource"/> registrations besides the default one.</summary>
public static class DataSources
{
    /// <summary>
    /// Multiplexed connections for single-statement reads on the request path: the key check and the
    /// order reads. Npgsql sends the statements of many concurrent requests down a few connections
    /// in one write and reads their answers back in one read, which cuts PostgreSQL's and the API's
    /// per-request cost (measured in bench/NOTES.md). A multiplexed connection keeps no session
    /// state between statements, so transactions, advisory locks and LISTEN stay on the default
    /// data source.
    /// </summary>
    public const string Reads = "reads";

    /// <summary>
    /// The connections deposits are stored and applied on (pipelined batches). A pool of its own, so that
    /// discarding the connections after a failed batch (clearing this pool) never touches the others.
    /// </summary>
    public const string Deposits = "deposits";

    /// <summary>
    /// The migrator's connections: schema changes may take longer than a request may wait, so these keep
    /// generous timeouts (30 s to connect, 5 min per statement) whatever <c>Database:Timeout</c> says.
    /// </summary>
    public const string Migrations = "migrations";

    /// <summary>
    /// Work bound to one server session: the leader jobs' advisory locks, held across statements. PgBouncer in
    /// transaction mode hands each transaction any server connection, so it cannot carry them (nor LISTEN, nor the
    /// migrator's lock): these connect to <c>ConnectionStrings:PostgresDirect</c> (the server itself) when set,
    /// otherwise to <c>ConnectionStrings:Postgres</c>.
    /// </summary>
    public const string Sessions = "sessions";

    /// <summary>The connection string for session-bound work: <c>ConnectionStrings:PostgresDirect</c> when set, else <c>ConnectionStrings:Postgres</c>.</summary>
    public static string SessionConnectionString(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetConnectionString("PostgresDirect") is { Length: > 0 } direct
            ? direct
            : configuration.GetConnectionString("Postgres") ?? "";
    }
}

public static class DataServiceCollectionExtensions
{
    public static IServiceCollection AddData(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Postgres is not set (environment variable ConnectionStrings__Postgres)");
        }

        var timeout = configuration.GetValue("Database:Timeout", TimeSpan.FromSeconds(5));
        if (timeout < TimeSpan.FromSeconds(3))
        {
            throw new InvalidOperationException("Database:Timeout must be at least 3 seconds (connect, command, and the cancellation of a command)");
        }

        // A direct connection string beside the main one means the main one goes through a transaction pooler
        // (PgBouncer): no statement is prepared there (a prepared statement lives in one server session).
        var pooled = configuration.GetConnectionString("PostgresDirect") is { Length: > 0 };
        services.AddSingleton(_ => Build(connectionString, multiplexing: false, timeout, autoPrepare: !pooled));
        services.AddKeyedSingleton(DataSources.Reads, (_, _) => Build(connectionString, multiplexing: true, timeout, autoPrepare: !pooled));
        services.AddKeyedSingleton(DataSources.Deposits, (_, _) => Build(connectionString, multiplexing: false, timeout, autoPrepare: !pooled));
        var sessions = DataSources.SessionConnectionString(configuration);
        services.AddKeyedSingleton(DataSources.Sessions, (_, _) => Build(sessions, multiplexing: false, timeout, autoPrepare: true));
        services.AddKeyedSingleton(DataSources.Migrations, (_, _) => new NpgsqlDataSourceBuilder(sessions)
        {
            ConnectionStringBuilder = { Timeout = 30, CommandTimeout = 300 },
        }.Build());
        services.AddDbContextPool<AppDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>())
            .UseSnakeCaseNamingConvention());
        services.AddDbContextPool<ReadOnlyDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSources.Reads))
            .UseSnakeCaseNamingConvention()
            .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking));
        services.AddScoped<UnitOfWork>();
        services.AddScoped(typeof(ForMode<>));
        Cli.OperatorCommandSetup.AddOperatorCommand<Cli.MigrateCommand>(services);
        services.AddSingleton(sp => new Migrator(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSources.Migrations), sp.GetRequiredService<ILogger<Migrator>>()));
        return services;
    }

    /// <summary>
    /// A data source on the connection string, bounded by <c>Database:Timeout</c> (5 s) unless the
    /// connection string sets its own timeouts, so a request never hangs on the database: it fails
    /// within the bound and is answered 503. The bound is split because of how a frozen server (up
    /// but answering nothing) is noticed: a command on an open connection times out after
    /// <c>Command Timeout</c>, and then Npgsql tries to cancel it over a new connection, which costs up
    /// to <c>Timeout</c> (the connect timeout) twice before the connection is given up (measured:
    /// 2 s + 2 × 2 s = 6 s with both at 2 s). So <c>Timeout</c> is a fifth of the bound (at least 1 s)
    /// and <c>Command Timeout</c> the rest: 1 s and 3 s for 5 s. A stopped server refuses at once.
    /// </summary>
    private static NpgsqlDataSource Build(string connectionString, bool multiplexing, TimeSpan bound, bool autoPrepare)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var connect = Math.Max(1, (int)(bound.TotalSeconds / 5));
        if (!Sets(connectionString, "Timeout"))
        {
            builder.ConnectionStringBuilder.Timeout = connect;
        }

        if (!Sets(connectionString, "Command Timeout") && !Sets(connectionString, "CommandTimeout"))
        {
            builder.ConnectionStringBuilder.CommandTimeout = Math.Max(1, (int)bound.TotalSeconds - (2 * connect));
        }

        if (!Sets(connectionString, "Cancellation Timeout") && !Sets(connectionString, "CancellationTimeout"))
        {
            // Once a command has timed out, do not also wait for the server to confirm the cancellation.
            builder.ConnectionStringBuilder.CancellationTimeout = -1;
        }

        // Statements this service runs on every request (key lookup, order reads, the creating
        // transaction) are prepared after their second use unless the connection string says otherwise, or the
        // connections go through a transaction pooler.
        if (autoPrepare && !connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        builder.ConnectionStringBuilder.Multiplexing = multiplexing;
        return builder.Build();
    }

    private static bool Sets(string connectionString, string keyword) =>
        connectionString.Split(';').Any(part => part.Split('=', 2)[0].Trim().Equals(keyword, StringComparison.OrdinalIgnoreCase));
}

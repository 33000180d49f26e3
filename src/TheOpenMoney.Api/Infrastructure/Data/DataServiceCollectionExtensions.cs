using Microsoft.EntityFrameworkCore;
using Npgsql;

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

        services.AddSingleton(_ => Build(connectionString, multiplexing: false));
        services.AddKeyedSingleton(DataSources.Reads, (_, _) => Build(connectionString, multiplexing: true));
        services.AddDbContextPool<AppDbContext>((sp, options) => options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddDbContextPool<ReadOnlyDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSources.Reads))
            .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking));
        services.AddSingleton<Migrator>();
        return services;
    }

    private static NpgsqlDataSource Build(string connectionString, bool multiplexing)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Statements this service runs on every request (key lookup, order reads, the creating
        // transaction) are prepared after their second use unless the connection string says otherwise.
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        builder.ConnectionStringBuilder.Multiplexing = multiplexing;
        return builder.Build();
    }
}

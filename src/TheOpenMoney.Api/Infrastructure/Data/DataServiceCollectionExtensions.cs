using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace TheOpenMoney.Api.Infrastructure.Data;

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

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Statements this service runs on every request (key lookup, order reads, the creating
        // transaction) are prepared after their second use unless the connection string says otherwise.
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        var dataSource = builder.Build();
        services.AddSingleton(dataSource);
        services.AddDbContextPool<AppDbContext>(options => options.UseNpgsql(dataSource));
        services.AddSingleton<Migrator>();
        return services;
    }
}

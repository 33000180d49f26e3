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

        var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        services.AddSingleton(dataSource);
        services.AddDbContextPool<AppDbContext>(options => options.UseNpgsql(dataSource));
        services.AddSingleton<Migrator>();
        return services;
    }
}

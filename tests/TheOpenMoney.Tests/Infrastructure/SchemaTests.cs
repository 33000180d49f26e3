using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TheOpenMoney.Api.Infrastructure.Data;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>The hand-written SQL migrations and the EF Core model describe the same schema.</summary>
public sealed class SchemaTests
{
    private static async Task<(string ConnectionString, NpgsqlDataSource DataSource)> FreshDatabaseAsync()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync();
        return (connectionString, NpgsqlDataSource.Create(connectionString));
    }

    [Fact]
    public async Task Migrations_apply_once_and_rerunning_is_a_no_op()
    {
        var (_, dataSource) = await FreshDatabaseAsync();
        await using var _ds = dataSource;
        var migrator = new Migrator(dataSource, NullLogger<Migrator>.Instance);

        Assert.Equal(Migrator.LoadScripts().Count, await migrator.MigrateAsync(CancellationToken.None));
        Assert.Equal(0, await migrator.MigrateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_migrators_apply_each_migration_exactly_once()
    {
        var (_, dataSource) = await FreshDatabaseAsync();
        await using var _ds = dataSource;

        var applied = await Task.WhenAll(Enumerable.Range(0, 4)
            .Select(_ => Task.Run(() => new Migrator(dataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None))));

        Assert.Equal(Migrator.LoadScripts().Count, applied.Sum());
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal((long)Migrator.LoadScripts().Count, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_stops_start_up()
    {
        var (_, dataSource) = await FreshDatabaseAsync();
        await using var _ds = dataSource;
        var migrator = new Migrator(dataSource, NullLogger<Migrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None);
        await using (var tamper = dataSource.CreateCommand("UPDATE schema_migrations SET checksum = 'edited' WHERE version = '0001'"))
        {
            await tamper.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.MigrateAsync(CancellationToken.None));
        Assert.Contains("changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migration_files_are_numbered_without_gaps()
    {
        var versions = Migrator.LoadScripts().Select(s => int.Parse(s.Version, System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.NotEmpty(versions);
        Assert.Equal(Enumerable.Range(1, versions.Count), versions);
    }

    [Fact]
    public async Task Every_mapped_table_and_column_exists_with_the_right_type_and_nullability()
    {
        var (connectionString, dataSource) = await FreshDatabaseAsync();
        await using var _ds = dataSource;
        await new Migrator(dataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
        await using var db = new AppDbContext(new DbContextOptionsBuilder<AppDbContext>().UseNpgsql(connectionString).Options);

        var problems = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            var columns = await ColumnsAsync(dataSource, table);
            if (columns.Count == 0)
            {
                problems.Add($"table {table} (entity {entity.ClrType.Name}) does not exist");
                continue;
            }

            var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
            var mapped = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in entity.GetProperties())
            {
                var column = property.GetColumnName(store)!;
                mapped.Add(column);
                if (!columns.TryGetValue(column, out var actual))
                {
                    problems.Add($"{table}.{column} (property {entity.ClrType.Name}.{property.Name}) does not exist");
                    continue;
                }

                var expectedType = property.GetColumnType(store);
                if (!string.Equals(expectedType, actual.Type, StringComparison.Ordinal))
                {
                    problems.Add($"{table}.{column}: model type {expectedType}, database type {actual.Type}");
                }

                if (property.IsColumnNullable(store) != actual.Nullable)
                {
                    problems.Add($"{table}.{column}: model nullable={property.IsColumnNullable(store)}, database nullable={actual.Nullable}");
                }
            }

            foreach (var (column, actual) in columns)
            {
                if (!mapped.Contains(column) && !actual.Nullable && !actual.HasDefault)
                {
                    problems.Add($"{table}.{column} is NOT NULL without a default but not mapped: inserts through EF would fail");
                }
            }

            var uniqueIndexes = await UniqueIndexesAsync(dataSource, table);
            foreach (var index in entity.GetIndexes().Where(i => i.IsUnique))
            {
                var indexColumns = string.Join(",", index.Properties.Select(p => p.GetColumnName(store)));
                if (!uniqueIndexes.Contains(indexColumns))
                {
                    problems.Add($"{table}: the model's unique index on ({indexColumns}) is missing in the database");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private sealed record Column(string Type, bool Nullable, bool HasDefault);

    private static async Task<Dictionary<string, Column>> ColumnsAsync(NpgsqlDataSource dataSource, string table)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, a.atthasdef OR a.attidentity <> ''
              FROM pg_attribute a
              JOIN pg_class c ON c.oid = a.attrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        var columns = new Dictionary<string, Column>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns[reader.GetString(0)] = new Column(reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3));
        }

        return columns;
    }

    private static async Task<HashSet<string>> UniqueIndexesAsync(NpgsqlDataSource dataSource, string table)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT string_agg(a.attname, ',' ORDER BY k.ord)
              FROM pg_index i
              JOIN pg_class c ON c.oid = i.indrelid
              CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             WHERE c.relname = $1 AND i.indisunique
             GROUP BY i.indexrelid
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        var indexes = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            indexes.Add(reader.GetString(0));
        }

        return indexes;
    }
}

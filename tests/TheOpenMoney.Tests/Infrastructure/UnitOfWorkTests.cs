using TheOpenMoney.Api.Infrastructure.Data;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>One transaction per state change: opened or joined, and what waits for the commit never runs on a rollback.</summary>
public sealed class UnitOfWorkTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task After_commit_actions_run_once_the_outermost_transaction_commits()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var work = scope.ServiceProvider.GetRequiredService<UnitOfWork>();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ran = new List<string>();

        var result = await work.RunAsync(
            async outer =>
            {
                work.AfterCommit(() => ran.Add("outer"));
                var inner = await work.RunAsync(
                    _ =>
                    {
                        // Joined, not nested: the same transaction is still open.
                        Assert.NotNull(db.Database.CurrentTransaction);
                        work.AfterCommit(() => ran.Add("inner"));
                        return Task.FromResult(41);
                    },
                    outer);
                Assert.Empty(ran);
                return inner + 1;
            },
            CancellationToken.None);

        Assert.Equal(42, result);
        Assert.Equal(["outer", "inner"], ran);
        Assert.Null(db.Database.CurrentTransaction);
    }

    [Fact]
    public async Task A_rolled_back_transaction_drops_its_after_commit_actions_and_its_writes()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var work = scope.ServiceProvider.GetRequiredService<UnitOfWork>();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ran = false;
        var table = $"uow_probe_{Guid.NewGuid():N}";
        await work.RunAsync(token => db.ExecuteAsync($"CREATE TABLE {table} (x int)", token), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => work.RunAsync<int>(
            async token =>
            {
                await db.ExecuteAsync($"INSERT INTO {table} VALUES (1)", token);
                work.AfterCommit(() => ran = true);
                throw new InvalidOperationException("fails before commit");
            },
            CancellationToken.None));

        Assert.False(ran);
        var rows = await work.RunAsync(
            async token =>
            {
                await using var count = db.Command($"SELECT count(*) FROM {table}");
                return (long)(await count.ExecuteScalarAsync(token))!;
            },
            CancellationToken.None);
        Assert.Equal(0, rows);

        // Outside any transaction an action runs at once.
        work.AfterCommit(() => ran = true);
        Assert.True(ran);
    }
}

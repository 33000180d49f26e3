using System.Net.Http.Headers;
using Npgsql;
using TheOpenMoney.Api.Partners;

namespace TheOpenMoney.Tests.Partners;

public sealed class AuthenticationTests(AuthenticationTests.Factory factory) : IClassFixture<AuthenticationTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        public Factory() => Clock = new ManualTimeProvider();
    }

    [Fact]
    public async Task Valid_key_authenticates_and_identifies_the_partner()
    {
        var user = TestPartners.NextTelegramUserId();
        var key = await factory.IssueKeyAsync(user, "alice");

        var data = await (await factory.CreateClient(key.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();

        Assert.Equal(key.PartnerId, data.GetProperty("id").GetInt64());
        Assert.Equal(user, data.GetProperty("telegram_user_id").GetInt64());
        Assert.Equal("alice", data.GetProperty("username").GetString());
        Assert.Equal(key.Prefix + "…", data.GetProperty("api_key").GetProperty("prefix").GetString());
        Assert.DoesNotContain(key.Plaintext, data.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_hmac_of_the_key_is_stored()
    {
        var key = await factory.IssueKeyAsync(TestPartners.NextTelegramUserId());

        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT key_hash, prefix FROM api_keys WHERE partner_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key.PartnerId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var stored = (byte[])reader[0];
        var hasher = factory.Services.GetRequiredService<ApiKeyHasher>();
        Assert.Equal(hasher.Hash(key.Plaintext), stored);
        Assert.Equal(key.Plaintext[..10], reader.GetString(1));
    }

    [Fact]
    public async Task Missing_header_is_401_unauthorized()
    {
        var response = await factory.CreateClient().GetAsync("/api/v1/partner");

        await response.AssertErrorAsync(401, ErrorCodes.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData("Bearer not-a-key")]
    [InlineData("Bearer osk_0000000000000000000000000000000000000000000")]
    public async Task Malformed_or_unknown_key_is_401_unauthorized(string header)
    {
        var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/partner");
        request.Headers.TryAddWithoutValidation("Authorization", header);

        var response = await client.SendAsync(request);

        await response.AssertErrorAsync(401, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task Revocation_takes_effect_on_the_next_request()
    {
        var user = TestPartners.NextTelegramUserId();
        var key = await factory.IssueKeyAsync(user);
        var client = factory.CreateClient(key.Plaintext);
        await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var revoked = await scope.ServiceProvider.GetRequiredService<PartnerKeyService>().RevokeAsync(user, livemode: true, CancellationToken.None);
            Assert.Equal(1, revoked);
        }

        await (await client.GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task Issuing_a_new_key_revokes_the_old_one()
    {
        var user = TestPartners.NextTelegramUserId();
        var first = await factory.IssueKeyAsync(user);
        var second = await factory.IssueKeyAsync(user, "renamed");

        Assert.Equal(first.PartnerId, second.PartnerId);
        await (await factory.CreateClient(first.Plaintext).GetAsync("/api/v1/partner")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
        var data = await (await factory.CreateClient(second.Plaintext).GetAsync("/api/v1/partner")).AssertOkAsync();
        Assert.Equal("renamed", data.GetProperty("username").GetString());
    }

    [Fact]
    public async Task Concurrent_issues_for_one_partner_leave_exactly_one_active_key()
    {
        var user = TestPartners.NextTelegramUserId();
        var issued = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => factory.IssueKeyAsync(user)));

        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM api_keys WHERE partner_id = $1 AND revoked_at IS NULL", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = issued[0].PartnerId });
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
        var working = 0;
        foreach (var key in issued)
        {
            var response = await factory.CreateClient(key.Plaintext).GetAsync("/api/v1/partner");
            working += response.IsSuccessStatusCode ? 1 : 0;
        }

        Assert.Equal(1, working);
    }

    [Fact]
    public async Task Database_refuses_a_second_active_key_for_a_partner()
    {
        var key = await factory.IssueKeyAsync(TestPartners.NextTelegramUserId());

        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "INSERT INTO api_keys (partner_id, key_hash, prefix, created_at) VALUES ($1, $2, 'osk_zzzzzz', now())", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key.PartnerId });
        command.Parameters.Add(new NpgsqlParameter { Value = new byte[32] });
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal("ux_api_keys_one_active_per_partner", error.ConstraintName);
    }

    [Fact]
    public async Task Last_used_at_is_written_at_most_once_a_minute()
    {
        var key = await factory.IssueKeyAsync(TestPartners.NextTelegramUserId());
        var client = factory.CreateClient(key.Plaintext);

        await client.GetAsync("/api/v1/partner");
        var first = await LastUsedAtAsync(key.PartnerId);
        Assert.Equal(factory.Clock!.GetUtcNow(), first);

        factory.Clock.Advance(TimeSpan.FromSeconds(30));
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.GetAsync("/api/v1/partner")));
        Assert.Equal(first, await LastUsedAtAsync(key.PartnerId));

        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        await client.GetAsync("/api/v1/partner");
        Assert.Equal(factory.Clock.GetUtcNow(), await LastUsedAtAsync(key.PartnerId));
    }

    [Fact]
    public async Task Scheme_name_is_case_insensitive()
    {
        var key = await factory.IssueKeyAsync(TestPartners.NextTelegramUserId());
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", key.Plaintext);

        await (await client.GetAsync("/api/v1/partner")).AssertOkAsync();
    }

    private async Task<DateTimeOffset?> LastUsedAtAsync(long partnerId)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT last_used_at FROM api_keys WHERE partner_id = $1 AND revoked_at IS NULL", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = partnerId });
        var value = await command.ExecuteScalarAsync();
        return value is DateTime dt ? new DateTimeOffset(dt, TimeSpan.Zero) : null;
    }
}

using System.Collections.Concurrent;
using Npgsql;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// A seeded bad-input fuzzer over every partner route and the headers they read: a few thousand
/// requests, each with at least one defect (malformed, hostile or out-of-range paths, queries,
/// headers and bodies, wrong methods and media types). No answer may be a 5xx, every answer under
/// <c>/api/v1</c> is the envelope, and nothing in the database changes. Bounded in count and time.
/// </summary>
public sealed class BadInputFuzzTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private const int Seed = 1203;
    private const int Requests = 3000;
    private const int Concurrency = 8;

    private static readonly string[] Tables =
    [
        "partners", "api_keys", "orders", "partner_balances", "balance_ledger", "idempotency_records", "deposits",
        "deposit_addresses", "quarantined_deposits", "deposit_failures", "deposit_hints", "processor_cursors", "telegram_updates",
    ];

    private static readonly string[] Hostile =
    [
        "", " ", "\0", "%00", "%", "%zz", "\u202e", "🚀", "\ud83d", "'; DROP TABLE orders;--", "<script>", "../../etc/passwd", "\r\nX-Injected: 1",
        "-1", "0", "9223372036854775808", "-9223372036854775809", "1e9", "1.5", "NaN", "null", "true", "[]", "{}", new string('a', 300),
        new string('9', 40), "STARS-", "stars-%00abc", "2026-13-45", "yesterday", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    ];

    private static readonly string[] PathHostile = [.. Hostile.Where(v => !v.Contains('\0', StringComparison.Ordinal) && !v.Contains("%00", StringComparison.Ordinal))];

    [Fact]
    public async Task Thousands_of_bad_requests_get_4xx_envelopes_and_change_nothing()
    {
        var me = await PartnerApi.CreateAsync(factory);
        var other = await PartnerApi.CreateAsync(factory);
        await me.CreditAsync(5m, "fuzz");
        // The partner's own order is already paid (cancelling it is a conflict); the other partner's are invisible to it.
        var mine = (await (await me.CreateStarsAsync(method: "balance")).AssertOkAsync()).GetProperty("id").GetInt64();
        var theirs = (await other.CreatedStarsOrderAsync()).GetProperty("id").GetInt64();
        var theirMemo = (await (await other.Client.GetAsync($"/api/v1/orders/{theirs}")).AssertOkAsync()).GetProperty("payment_memo").GetString()!;
        var keys = new[] { me.Key, other.Key };
        var before = await SnapshotAsync();

        var random = new Random(Seed);
        var cases = Enumerable.Range(0, Requests).Select(_ => NextCase(random, keys, mine, theirs, theirMemo)).ToList();
        var failures = new ConcurrentQueue<string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var client = factory.CreateClient();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = deadline.Token }, async (fuzz, token) =>
        {
            using var request = fuzz.Build();
            using var response = await client.SendAsync(request, token);
            var body = await response.Content.ReadAsStringAsync(token);
            if (Problem(fuzz, (int)response.StatusCode, body) is { } problem)
            {
                failures.Enqueue(problem);
            }
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers, e.g.:\n{string.Join("\n", failures.Take(10))}");
        Assert.Equal(before, await SnapshotAsync());
    }

    private static string? Problem(FuzzCase fuzz, int status, string body)
    {
        if (status >= 500 || (status < 300 && fuzz.Method != "GET"))
        {
            // A change of state would be a success on a POST: every case carries a defect, so none may succeed.
            return $"{status} for {fuzz}: {body}";
        }

        if (!fuzz.Path.StartsWith("/api/v1", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var ok = root.GetProperty("ok");
            if (ok.ValueKind == JsonValueKind.True)
            {
                return status == 200 && root.TryGetProperty("data", out _) ? null : $"success envelope with {status} for {fuzz}";
            }

            return ok.ValueKind == JsonValueKind.False
                && root.GetProperty("error_code").GetString() is { Length: > 0 } code && code.All(c => char.IsAsciiLetterUpper(c) || c == '_')
                && root.GetProperty("error_message").ValueKind == JsonValueKind.String
                && root.GetProperty("data").ValueKind == JsonValueKind.Null
                && status is >= 400 and < 500
                ? null
                : $"not the error envelope ({status}) for {fuzz}: {body}";
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"not JSON ({status}) for {fuzz}: {body}";
        }
    }

    /// <summary>One request with at least one defect. Valid parts are real (a real key, a real order id) so the defect is what is tested.</summary>
    private static FuzzCase NextCase(Random random, string[] keys, long mine, long theirs, string theirMemo)
    {
        string Pick(IReadOnlyList<string> values) => values[random.Next(values.Count)];
        string Enc(string value) => random.Next(3) == 0 ? value : Uri.EscapeDataString(value);
        // A NUL in the path never reaches the application (Kestrel refuses the request line itself, see
        // KestrelRejectionTests), so path segments carry every other hostile value, always escaped.
        string Segment() => Uri.EscapeDataString(Pick(PathHostile));
        var key = random.Next(10) switch
        {
            0 => null,
            1 => "Bearer " + Pick(Hostile),
            2 => "Basic dXNlcjpwYXNz",
            3 => "Bearer osk_" + new string('Z', 43),
            4 => "bearer " + keys[0] + "\0",
            5 => "Bearer " + keys[0][..^1],
            _ => "Bearer " + keys[0],
        };

        var choice = random.Next(14);
        var id = random.Next(4) switch { 0 => mine.ToString(System.Globalization.CultureInfo.InvariantCulture), 1 => theirs.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => Segment() };
        return choice switch
        {
            0 => new FuzzCase("GET", $"/api/v1/orders/{id}", key),
            1 => new FuzzCase("GET", $"/api/v1/orders?{Query(random, ["limit", "offset", "status", "order_type", "created_from", "created_to", "client_reference"], Enc, Pick)}", key),
            2 => new FuzzCase("GET", $"/api/v1/orders/by-memo/{(random.Next(3) == 0 ? theirMemo : Segment())}", key),
            3 => new FuzzCase("GET", $"/api/v1/orders/by-reference/{Segment()}?{Query(random, ["limit", "offset"], Enc, Pick)}", key),
            4 => new FuzzCase("GET", $"/api/v1/orders/stats/summary?{Query(random, ["from", "to"], Enc, Pick)}", key),
            5 => new FuzzCase("POST", $"/api/v1/orders/{id}/cancel", key, BadIdempotencyKey(random, Pick), random.Next(2) == 0 ? null : Pick(Hostile), "application/json"),
            6 or 7 => CreateCase(random, key, Pick, "stars"),
            8 => CreateCase(random, key, Pick, "premium"),
            9 => new FuzzCase("GET", $"/api/v1/pricing/estimate/{(random.Next(2) == 0 ? "stars" : "premium")}?{Query(random, ["quantity", "months"], Enc, Pick)}", key),
            10 => new FuzzCase("GET", $"/api/v1/recipients/{(random.Next(2) == 0 ? "stars" : "premium")}?{Query(random, ["username", "months"], Enc, Pick)}", key),
            11 => new FuzzCase("GET", $"/api/v1/balance/transactions?{Query(random, ["limit", "offset", "type"], Enc, Pick)}", key),
            12 => new FuzzCase(Pick(["PUT", "DELETE", "PATCH"]), Pick(["/api/v1/orders", "/api/v1/balance", "/api/v1/partner", "/api/v1/health", $"/api/v1/orders/{id}"]), key),
            _ => new FuzzCase(Pick(["GET", "POST"]), "/api/v1/" + Segment() + "/" + Segment(), key),
        };
    }

    /// <summary>Query parameters of the route with hostile values (at least one), sometimes repeated.</summary>
    private static string Query(Random random, string[] names, Func<string, string> encode, Func<IReadOnlyList<string>, string> pick)
    {
        var parts = new List<string>();
        foreach (var name in names.Where(_ => random.Next(2) == 0).DefaultIfEmpty(names[0]))
        {
            parts.Add($"{name}={encode(pick(Hostile))}");
            if (random.Next(5) == 0)
            {
                parts.Add($"{name}={encode(pick(Hostile))}");
            }
        }

        return string.Join('&', parts);
    }

    private static string? BadIdempotencyKey(Random random, Func<IReadOnlyList<string>, string> pick) => random.Next(3) switch
    {
        0 => null,
        1 => new string('k', 256),
        // (An empty value is not sent by HttpClient at all, so it is no defect on the wire.)
        _ => pick(["has space", "tab\tkey", "é", "\u0001", "a\u007f"]),
    };

    /// <summary>An order creation with one defect: in the body, the media type, the encoding or the idempotency key.</summary>
    private static FuzzCase CreateCase(Random random, string? key, Func<IReadOnlyList<string>, string> pick, string kind)
    {
        var amountField = kind == "stars" ? "quantity" : "months";
        var valid = kind == "stars" ? "100" : "3";
        var fields = new Dictionary<string, string>
        {
            ["recipient_username"] = "\"pandus\"",
            [amountField] = valid,
            ["payment_method"] = "\"balance\"",
        };
        string body;
        var contentType = "application/json";
        string? encoding = null;
        string? idempotency = null;
        switch (random.Next(9))
        {
            case 0:
                fields[pick(fields.Keys.ToList())] = JsonSerializer.Serialize(pick(Hostile));
                fields[amountField] = pick(["0", "-1", "49", "10001", "1.5", "1e9", "\"100\"", "null", "[]", "{}", "9223372036854775808", "7"]);
                body = Object(fields);
                break;
            case 1:
                fields["recipient_username"] = JsonSerializer.Serialize(pick(["", "ab", "1abcde", "a b c d", "nobody_here", "x_bot", new string('a', 33), "pan\0dus", "\u202epandus"]));
                body = Object(fields);
                break;
            case 2:
                body = Object(fields).TrimEnd('}') + ",\"payment_method\":\"ton_memo\"}";
                break;
            case 3:
                body = Object(fields).Replace("\"recipient_username\"", "\"Recipient_Username\"", StringComparison.Ordinal);
                break;
            case 4:
                body = Object(fields);
                contentType = pick(["text/plain", "application/json-patch+json", "application/problem+json", "application/json; charset=utf-16", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]);
                break;
            case 5:
                body = Object(fields);
                encoding = pick(["gzip", "br", "deflate", "identity, gzip"]);
                break;
            case 6:
                body = pick(["", "{", "[", "[1,2]", "null", "\"str\"", "{\"a\":", new string('[', 200) + new string(']', 200), "{\"x\":\"\\ud800\"}", "\u0000", Object(fields) + "garbage"]);
                break;
            case 7:
                fields["client_reference"] = JsonSerializer.Serialize(pick([new string('r', 129), "ref\u0001", "\0"]));
                body = Object(fields);
                break;
            default:
                body = Object(fields);
                idempotency = BadIdempotencyKey(random, pick) ?? "has space";
                break;
        }

        // Without a valid key every request is refused before it could create anything; with one, the defect above does.
        return new FuzzCase("POST", $"/api/v1/orders/{kind}", key, idempotency, body, contentType, encoding);
    }

    private static string Object(Dictionary<string, string> fields) => "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";

    /// <summary>A digest of every table (api_keys.last_used_at aside: any keyed request may touch it).</summary>
    private async Task<Dictionary<string, string>> SnapshotAsync()
    {
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        foreach (var table in Tables)
        {
            var source = table == "api_keys" ? "(SELECT id, partner_id, key_hash, prefix, created_at, revoked_at FROM api_keys)" : table;
            await using var command = new NpgsqlCommand($"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {source} t", connection);
            digests[table] = (string)(await command.ExecuteScalarAsync())!;
        }

        return digests;
    }

    private sealed record FuzzCase(
        string Method, string Path, string? Authorization, string? IdempotencyKey = null, string? Body = null, string? ContentType = null, string? ContentEncoding = null)
    {
        public HttpRequestMessage Build()
        {
            var request = new HttpRequestMessage(new HttpMethod(Method), Path);
            if (Authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", Authorization);
            }

            if (IdempotencyKey is not null)
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", IdempotencyKey);
            }

            if (Body is not null)
            {
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Body));
                request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType ?? "application/json");
                if (ContentEncoding is not null)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Encoding", ContentEncoding);
                }
            }

            return request;
        }

        public override string ToString() =>
            $"{Method} {Path} auth={Authorization?.Length ?? -1} idem={IdempotencyKey} type={ContentType} enc={ContentEncoding} body={Body?[..Math.Min(Body.Length, 120)]}";
    }
}

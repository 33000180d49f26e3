using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Serialization;

namespace TheOpenMoney.Api.Payments;

/// <summary>A deposit as the processor reports it (a history row, or its answer about one tx_hash), checked field by field.</summary>
public sealed record IncomingDeposit(
    string TxHash,
    string ProcessorUserId,
    string DepositAddress,
    string? SourceAddress,
    long AmountNanoton,
    string? Comment,
    DateTimeOffset ChainTime,
    string Currency = Money.PaymentCurrencies.Ton);

/// <summary>One row of a history page: a deposit, or why the row could not be read. <see cref="Offset"/> is its place in the history.</summary>
public sealed record IncomeRow(long Offset, IncomingDeposit? Deposit, RejectedIncome? Rejected);

/// <summary>The processor's view of the chain: synced, and the generation time of the last block it scanned.</summary>
public sealed record ProcessorSync(bool IsSynced, DateTimeOffset LastBlockAt);

/// <summary>The processor answered with an error (its <c>{"error": …}</c> body, or an empty 401), or with something unreadable.</summary>
public sealed class ProcessorException(string message, int? status = null, string? processorError = null) : Exception(message), Infrastructure.IHasFailureKind
{
    public int? Status { get; } = status;

    /// <summary>The processor's own <c>{"error"}</c> text, for code that must tell one refusal from another; never logged or shown (it may echo our input).</summary>
    public string? ProcessorError { get; } = processorError;

    public string FailureKind => Status is { } code ? $"processor_http_{code}" : "processor_unreadable_answer";
}

/// <summary>
/// Typed client for the processor's HTTP API (seed 003). Resilience (timeout, retry with jitter,
/// circuit breaker) sits in the handler; this class maps its quirks: amounts as nanoTON strings,
/// <c>time</c> in unix seconds, <c>comment</c> absent when empty, <c>sort_order</c> default desc.
/// Every row it returns is attacker-controlled (a payer chooses the comment) and is read on its own
/// by <see cref="ProcessorIncome"/>: a row that cannot be read comes back rejected, never as an
/// exception for the whole page.
/// </summary>
public sealed class ProcessorClient(HttpClient http, ProcessorCurrencyNames currencies, TimeProvider time)
{
    /// <summary>The most a processor answer may hold (a page of 1,000 rows with long comments fits many times over).</summary>
    internal const long MaxAnswerBytes = 64L * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal static void Configure(HttpClient client, PaymentProcessorOptions options)
    {
        client.BaseAddress = new Uri(options.BaseUrl!.TrimEnd('/') + "/");
        client.MaxResponseContentBufferSize = MaxAnswerBytes;
        if (!string.IsNullOrEmpty(options.ApiToken))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiToken);
        }
    }

    /// <summary>A new deposit address for <paramref name="currency"/> (our code: <c>TON</c>, <c>USDT</c>) under <paramref name="userId"/>.</summary>
    public async Task<string> NewAddressAsync(string userId, string currency, CancellationToken cancellationToken)
    {
        using var content = JsonContent.Create(new { user_id = userId, currency = currencies.ProcessorName(currency) });
        using var response = await http.PostAsync("v1/address/new", content, cancellationToken);
        var body = await ReadAsync<AddressBody>(response, cancellationToken);
        return body.Address ?? throw new ProcessorException("address/new answered without an address");
    }

    /// <summary>The addresses the processor has for <paramref name="userId"/> in <paramref name="currency"/> (our code).</summary>
    public async Task<IReadOnlyList<string>> AllAddressesAsync(string userId, string currency, CancellationToken cancellationToken)
    {
        var name = currencies.ProcessorName(currency);
        using var response = await http.GetAsync($"v1/address/all?user_id={Uri.EscapeDataString(userId)}", cancellationToken);
        var body = await ReadAsync<AddressesBody>(response, cancellationToken);
        return (body.Addresses ?? [])
            .Where(a => string.Equals(a.Currency, name, StringComparison.Ordinal) && a.Address is not null)
            .Select(a => a.Address!)
            .ToList();
    }

    /// <summary>
    /// One page of deposit history in <paramref name="currency"/> (our code), oldest first (<c>sort_order=asc</c> is always
    /// sent). Each row is read on its own, as a deposit in that currency; an answer that is not a JSON object with an
    /// <c>incomes</c> array fails the page.
    /// </summary>
    public async Task<IReadOnlyList<IncomeRow>> HistoryAsync(string userId, string currency, long offset, int limit, CancellationToken cancellationToken)
    {
        var url = string.Create(
            CultureInfo.InvariantCulture,
            $"v1/deposit/history?user_id={Uri.EscapeDataString(userId)}&currency={Uri.EscapeDataString(currencies.ProcessorName(currency))}&limit={limit}&offset={offset}&sort_order=asc");
        using var response = await http.GetAsync(url, cancellationToken);
        using var document = await ReadDocumentAsync(response, cancellationToken);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ProcessorException("history answer is not a JSON object");
        }

        if (!document.RootElement.TryGetProperty("incomes", out var incomes) || incomes.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (incomes.ValueKind != JsonValueKind.Array)
        {
            throw new ProcessorException("history answer's incomes is not an array");
        }

        var now = time.GetUtcNow();
        var rows = new List<IncomeRow>(incomes.GetArrayLength());
        foreach (var row in incomes.EnumerateArray())
        {
            var at = offset + rows.Count;
            rows.Add(ProcessorIncome.TryRead(row, userId, currency, now, out var deposit, out var rejected)
                ? new IncomeRow(at, deposit, null)
                : new IncomeRow(at, null, rejected));
        }

        return rows;
    }

    /// <summary>
    /// What the processor itself knows of one transaction (<c>GET /v1/deposit/income?tx_hash=</c>):
    /// the row (read like a history row), or null when it does not know it (404, or 400 for a hash it
    /// finds malformed). Other failures throw.
    /// </summary>
    public async Task<IncomeRow?> IncomeAsync(string txHash, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"v1/deposit/income?tx_hash={Uri.EscapeDataString(txHash)}", cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
        {
            return null;
        }

        using var document = await ReadDocumentAsync(response, cancellationToken);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("income", out var income) || income.ValueKind == JsonValueKind.Null)
        {
            throw new ProcessorException("income answer has no income");
        }

        // The answer's currency is the processor's word for what the amount counts: a jetton's base units are not
        // nanoTON (1,500 USDT would read as 1.5 TON). A currency we do not take is held for operators, never applied.
        var named = document.RootElement.TryGetProperty("currency", out var field) && field.ValueKind == JsonValueKind.String ? field.GetString() : null;
        var currency = currencies.CodeOf(named);

        // The answer names no user_id: the deposit row takes it from our address table when it is stored.
        if (currency is not null)
        {
            return ProcessorIncome.TryRead(income, UnknownUserId, currency, time.GetUtcNow(), out var deposit, out var rejected)
                ? new IncomeRow(0, deposit, null)
                : new IncomeRow(0, null, rejected);
        }

        var readable = ProcessorIncome.TryRead(income, UnknownUserId, time.GetUtcNow(), out var unread, out var unreadable);
        var reason = ForeignCurrencyReason + (named is null
            ? $"the processor's answer names none (expected one of {string.Join(", ", currencies.ProcessorNames)})"
            : $"{Printable(named)} is not one of {string.Join(", ", currencies.ProcessorNames)}: its amount counts units we do not hold");
        return new IncomeRow(0, null, new RejectedIncome(Encoding.UTF8.GetBytes(income.GetRawText()), reason, readable ? unread.TxHash : unreadable.TxHash, null));
    }

    public async Task<ProcessorSync> SyncAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/system/sync", cancellationToken);
        var body = await ReadAsync<SyncBody>(response, cancellationToken);
        if (body.LastBlockGenUtime < 0 || body.LastBlockGenUtime > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new ProcessorException("sync answer has an impossible last_block_gen_utime");
        }

        return new ProcessorSync(body.IsSynced, DateTimeOffset.FromUnixTimeSeconds(body.LastBlockGenUtime));
    }

    /// <summary>How the reason of a deposit in another currency starts: such a row is never retried as ours.</summary>
    public const string ForeignCurrencyReason = "currency: ";

    /// <summary>A currency name as it may appear in a reason: short ASCII letters and digits, else a placeholder.</summary>
    private static string Printable(string currency) =>
        currency.Length is > 0 and <= 16 && currency.All(char.IsAsciiLetterOrDigit) ? currency : "(unreadable)";

    /// <summary>Stored when the processor did not say which user_id a deposit belongs to and the address is not ours.</summary>
    public const string UnknownUserId = "unknown";

    internal static async Task<JsonDocument> ReadDocumentAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response.StatusCode, bytes);
        }

        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            throw new ProcessorException("processor answered something that is not JSON", (int)response.StatusCode);
        }
    }

    internal static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response.StatusCode, bytes);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(bytes, Json) ?? throw new ProcessorException("processor answered an empty body");
        }
        catch (JsonException)
        {
            throw new ProcessorException("processor answered something unreadable", (int)response.StatusCode);
        }
    }

    /// <summary>An error answer. Its <c>{"error"}</c> text is the processor's own and is not put in the message (it may echo our input).</summary>
    private static ProcessorException Failure(HttpStatusCode status, byte[] body)
    {
        string? error = null;
        if (body.Length > 0)
        {
            try
            {
                error = JsonSerializer.Deserialize<ErrorBody>(body, Json)?.Error;
            }
            catch (JsonException)
            {
                // An unreadable error body says no more than its status.
            }
        }

        return new ProcessorException($"processor answered {(int)status}{(error is not null ? " with an error" : "")}", (int)status, error);
    }

    private sealed record AddressBody([property: JsonPropertyName("address")] string? Address);

    private sealed record AddressesBody([property: JsonPropertyName("addresses")] List<AddressItem>? Addresses);

    private sealed record AddressItem([property: JsonPropertyName("address")] string? Address, [property: JsonPropertyName("currency")] string? Currency);

    private sealed record SyncBody(
        [property: JsonPropertyName("is_synced")] bool IsSynced,
        [property: JsonPropertyName("last_block_gen_utime")] long LastBlockGenUtime);

    private sealed record ErrorBody([property: JsonPropertyName("error")] string? Error);
}

using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace TheOpenMoney.Api.Payments;

/// <summary>A deposit as the processor reports it (history or webhook).</summary>
public sealed record IncomingDeposit(
    string TxHash,
    string ProcessorUserId,
    string DepositAddress,
    string? SourceAddress,
    long AmountNanoton,
    string? Comment,
    DateTimeOffset ChainTime);

/// <summary>The processor's view of the chain: synced, and the generation time of the last block it scanned.</summary>
public sealed record ProcessorSync(bool IsSynced, DateTimeOffset LastBlockAt);

/// <summary>The processor answered with an error (its <c>{"error": …}</c> body, or an empty 401).</summary>
public sealed class ProcessorException(string message, int? status = null) : Exception(message)
{
    public int? Status { get; } = status;
}

/// <summary>
/// Typed client for the processor's HTTP API (seed 003). Polly (timeout, retry with jitter,
/// circuit breaker) sits in the handler; this class maps its quirks: amounts as nanoTON strings,
/// <c>time</c> in unix seconds, <c>comment</c> absent when empty, <c>sort_order</c> default desc.
/// </summary>
public sealed class ProcessorClient(HttpClient http, IOptions<PaymentProcessorOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal static void Configure(HttpClient client, PaymentProcessorOptions options)
    {
        client.BaseAddress = new Uri(options.BaseUrl!.TrimEnd('/') + "/");
        if (!string.IsNullOrEmpty(options.ApiToken))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiToken);
        }
    }

    public async Task<string> NewAddressAsync(string userId, CancellationToken cancellationToken)
    {
        using var content = JsonContent.Create(new { user_id = userId, currency = options.Value.Currency });
        using var response = await http.PostAsync("v1/address/new", content, cancellationToken);
        var body = await ReadAsync<AddressBody>(response, cancellationToken);
        return body.Address ?? throw new ProcessorException("address/new answered without an address");
    }

    public async Task<IReadOnlyList<string>> AllAddressesAsync(string userId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"v1/address/all?user_id={Uri.EscapeDataString(userId)}", cancellationToken);
        var body = await ReadAsync<AddressesBody>(response, cancellationToken);
        return (body.Addresses ?? [])
            .Where(a => string.Equals(a.Currency, options.Value.Currency, StringComparison.Ordinal) && a.Address is not null)
            .Select(a => a.Address!)
            .ToList();
    }

    /// <summary>One page of deposit history, oldest first (<c>sort_order=asc</c> is always sent).</summary>
    public async Task<IReadOnlyList<IncomingDeposit>> HistoryAsync(string userId, long offset, int limit, CancellationToken cancellationToken)
    {
        var url = string.Create(
            CultureInfo.InvariantCulture,
            $"v1/deposit/history?user_id={Uri.EscapeDataString(userId)}&currency={options.Value.Currency}&limit={limit}&offset={offset}&sort_order=asc");
        using var response = await http.GetAsync(url, cancellationToken);
        var body = await ReadAsync<HistoryBody>(response, cancellationToken);
        return (body.Incomes ?? []).Select(i => ToDeposit(i, userId)).ToList();
    }

    public async Task<ProcessorSync> SyncAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/system/sync", cancellationToken);
        var body = await ReadAsync<SyncBody>(response, cancellationToken);
        return new ProcessorSync(body.IsSynced, DateTimeOffset.FromUnixTimeSeconds(body.LastBlockGenUtime));
    }

    /// <summary>Turns a processor income (history row or webhook body) into a deposit; throws on amounts or times that make no sense.</summary>
    internal static IncomingDeposit ToDeposit(Income income, string userId)
    {
        if (string.IsNullOrWhiteSpace(income.TxHash) || string.IsNullOrWhiteSpace(income.DepositAddress))
        {
            throw new ProcessorException("income without tx_hash or deposit_address");
        }

        if (!long.TryParse(income.Amount, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            throw new ProcessorException($"income {income.TxHash} has an invalid amount");
        }

        return new IncomingDeposit(
            income.TxHash,
            userId,
            income.DepositAddress,
            string.IsNullOrEmpty(income.SourceAddress) ? null : income.SourceAddress,
            amount,
            string.IsNullOrEmpty(income.Comment) ? null : income.Comment,
            DateTimeOffset.FromUnixTimeSeconds(income.Time));
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var detail = "";
            if (text.Length > 0)
            {
                try
                {
                    detail = JsonSerializer.Deserialize<ErrorBody>(text, Json)?.Error ?? "";
                }
                catch (JsonException)
                {
                    detail = "unreadable error body";
                }
            }

            throw new ProcessorException($"processor answered {(int)response.StatusCode} {detail}".TrimEnd(), (int)response.StatusCode);
        }

        return JsonSerializer.Deserialize<T>(text, Json) ?? throw new ProcessorException("processor answered an empty body");
    }

    internal sealed record Income(
        [property: JsonPropertyName("deposit_address")] string? DepositAddress,
        [property: JsonPropertyName("time")] long Time,
        [property: JsonPropertyName("source_address")] string? SourceAddress,
        [property: JsonPropertyName("amount")] string? Amount,
        [property: JsonPropertyName("comment")] string? Comment,
        [property: JsonPropertyName("tx_hash")] string? TxHash);

    private sealed record HistoryBody([property: JsonPropertyName("incomes")] List<Income>? Incomes);

    private sealed record AddressBody([property: JsonPropertyName("address")] string? Address);

    private sealed record AddressesBody([property: JsonPropertyName("addresses")] List<AddressItem>? Addresses);

    private sealed record AddressItem([property: JsonPropertyName("address")] string? Address, [property: JsonPropertyName("currency")] string? Currency);

    private sealed record SyncBody(
        [property: JsonPropertyName("is_synced")] bool IsSynced,
        [property: JsonPropertyName("last_block_gen_utime")] long LastBlockGenUtime);

    private sealed record ErrorBody([property: JsonPropertyName("error")] string? Error);
}

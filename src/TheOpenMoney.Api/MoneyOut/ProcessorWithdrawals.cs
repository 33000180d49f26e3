using System.Text.Json.Serialization;
using TheOpenMoney.Api.Payments;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>What the processor said to a withdrawal request.</summary>
public abstract record SendOutcome
{
    /// <summary>Accepted under its id.</summary>
    public sealed record Accepted(long ProcessorId) : SendOutcome;

    /// <summary>It already has a withdrawal with this query_id: an earlier request went through (its answer was lost).</summary>
    public sealed record AlreadyHad : SendOutcome;

    /// <summary>Refused for good (a destination it will not send to, an amount it does not accept …).</summary>
    public sealed record Refused(string Reason) : SendOutcome;
}

/// <summary>A withdrawal's state at the processor (<c>GET /v1/withdrawal/status</c>).</summary>
/// <summary>A withdrawal at the processor: its status, its transaction once processed, and the user_id and query_id it was asked with.</summary>
public sealed record ProcessorWithdrawalState(string Status, string? TxHash, string? UserId = null, string? QueryId = null);

/// <summary>The hot wallet's balance and what is queued to leave it (<c>GET /v1/balance</c>), in base units.</summary>
public sealed record HotWallet(long Balance, long Pending, long Processing);

/// <summary><c>GET /v1/income</c> of a user_id: where the processor counts, and its total per deposit address.</summary>
public sealed record ProcessorIncomeTotals(string CountingSide, IReadOnlyDictionary<string, long> ByAddress);

/// <summary>
/// The processor's money-out API (seed 003): <c>POST /v1/withdrawal/send</c>, <c>GET /v1/withdrawal/status</c>,
/// <c>GET /v1/balance</c>, <c>GET /v1/income</c>. Its own HttpClient, with a timeout and <b>no retry</b>: a
/// send is asked once per engine run, and the processor's refusal of a query_id it already has is the only
/// "retry" there is (a retried POST whose first try went through would look exactly like that, and lose the id).
/// Every answer is read as hostile: amounts must be plain digits within <see cref="long"/>, statuses one of four.
/// </summary>
public sealed class ProcessorWithdrawals(HttpClient http, ProcessorCurrencyNames currencyNames)
{
    /// <summary>What bicycle answers for a (user_id, query_id) it has already.</summary>
    private const string NotUnique = "not unique";

    /// <summary>Asks the processor to send <paramref name="amount"/> base units of <paramref name="currency"/> (our code: TON, USDT) to <paramref name="destination"/>.</summary>
    public async Task<SendOutcome> SendAsync(string userId, string queryId, string currency, long amount, string destination, string? comment, CancellationToken cancellationToken)
    {
        using var content = JsonContent.Create(new SendBody(userId, queryId, currencyNames.ProcessorName(currency), amount.ToString(CultureInfo.InvariantCulture), destination, comment));
        using var response = await http.PostAsync("v1/withdrawal/send", content, cancellationToken);
        if ((int)response.StatusCode == 400)
        {
            try
            {
                await ProcessorClient.ReadDocumentAsync(response, cancellationToken);
            }
            catch (ProcessorException refused) when (refused.Status == 400)
            {
                return refused.ProcessorError?.Contains(NotUnique, StringComparison.OrdinalIgnoreCase) == true
                    ? new SendOutcome.AlreadyHad()
                    : new SendOutcome.Refused("the processor refused the withdrawal");
            }
        }

        var body = await ProcessorClient.ReadAsync<SendAnswer>(response, cancellationToken);
        return body.Id is > 0 and var id ? new SendOutcome.Accepted(id) : throw new ProcessorException("withdrawal/send answered without an ID");
    }

    /// <summary>The state of withdrawal <paramref name="processorId"/>; null when the processor does not know the id.</summary>
    public async Task<ProcessorWithdrawalState?> StatusAsync(long processorId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(string.Create(CultureInfo.InvariantCulture, $"v1/withdrawal/status?id={processorId}"), cancellationToken);
        if ((int)response.StatusCode == 400)
        {
            return null;
        }

        var body = await ProcessorClient.ReadAsync<StatusAnswer>(response, cancellationToken);
        if (body.Status is not ("pending" or "processing" or "processed" or "failed"))
        {
            throw new ProcessorException("withdrawal/status answered an unknown status");
        }

        var txHash = body.TxHash is { Length: > 0 and <= 128 } hash && hash.All(char.IsAsciiLetterOrDigit) ? hash : null;
        if (body.Status == "processed" && txHash is null)
        {
            throw new ProcessorException("withdrawal/status answered processed without a readable tx_hash");
        }

        return new ProcessorWithdrawalState(body.Status, txHash, Short(body.UserId), Short(body.QueryId));
    }

    /// <summary>The hot wallet (no address) with the totals queued to leave it, in <paramref name="currency"/> (our code).</summary>
    public async Task<HotWallet> HotWalletAsync(string currency, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"v1/balance?currency={Uri.EscapeDataString(currencyNames.ProcessorName(currency))}", cancellationToken);
        var body = await ProcessorClient.ReadAsync<BalanceAnswer>(response, cancellationToken);
        return new HotWallet(Units(body.Balance, "balance"), Units(body.TotalPendingAmount ?? "0", "total_pending_amount"), Units(body.TotalProcessingAmount ?? "0", "total_processing_amount"));
    }

    /// <summary>What one of our deposit addresses still holds of <paramref name="currency"/> (not swept to the hot wallet yet).</summary>
    public async Task<long> AddressBalanceAsync(string address, string currency, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(
            $"v1/balance?currency={Uri.EscapeDataString(currencyNames.ProcessorName(currency))}&address={Uri.EscapeDataString(address)}", cancellationToken);
        var body = await ProcessorClient.ReadAsync<BalanceAnswer>(response, cancellationToken);
        return Units(body.Balance, "balance");
    }

    /// <summary>The processor's income totals per deposit address of <paramref name="userId"/>, in <paramref name="currency"/> (our code).</summary>
    public async Task<ProcessorIncomeTotals> IncomeAsync(string userId, string currency, CancellationToken cancellationToken)
    {
        var name = currencyNames.ProcessorName(currency);
        using var response = await http.GetAsync($"v1/income?user_id={Uri.EscapeDataString(userId)}", cancellationToken);
        var body = await ProcessorClient.ReadAsync<IncomeAnswer>(response, cancellationToken);
        if (body.CountingSide is not ("deposit" or "hot_wallet"))
        {
            throw new ProcessorException("income answered an unknown counting_side");
        }

        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var item in body.TotalIncome ?? [])
        {
            if (item.Currency == name && item.DepositAddress is { } address)
            {
                var canonical = TonAddress.IsValid(address) ? TonAddress.ToNonBounceable(address) : address;
                totals[canonical] = checked(totals.GetValueOrDefault(canonical) + Units(item.Amount, "amount"));
            }
        }

        return new ProcessorIncomeTotals(body.CountingSide, totals);
    }

    /// <summary>A base-unit amount: plain digits, within <see cref="long"/>.</summary>
    private static long Units(string? text, string field) =>
        text is { Length: > 0 and <= 19 } && text.All(char.IsAsciiDigit) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ProcessorException($"processor answered an unreadable {field}");

    private sealed record SendBody(
        [property: JsonPropertyName("user_id")] string UserId,
        [property: JsonPropertyName("query_id")] string QueryId,
        [property: JsonPropertyName("currency")] string Currency,
        [property: JsonPropertyName("amount")] string Amount,
        [property: JsonPropertyName("destination")] string Destination,
        [property: JsonPropertyName("comment"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Comment);

    private sealed record SendAnswer([property: JsonPropertyName("ID")] long? Id);

    private sealed record StatusAnswer(
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("tx_hash")] string? TxHash,
        [property: JsonPropertyName("user_id")] string? UserId,
        [property: JsonPropertyName("query_id")] string? QueryId);

    /// <summary>An identifier the processor echoes back, kept only when it is short (ours are: "refunds", "wd-42").</summary>
    private static string? Short(string? text) => text is { Length: > 0 and <= 64 } ? text : null;

    private sealed record BalanceAnswer(
        [property: JsonPropertyName("balance")] string? Balance,
        [property: JsonPropertyName("total_pending_amount")] string? TotalPendingAmount,
        [property: JsonPropertyName("total_processing_amount")] string? TotalProcessingAmount);

    private sealed record IncomeAnswer(
        [property: JsonPropertyName("counting_side")] string? CountingSide,
        [property: JsonPropertyName("total_income")] List<IncomeItem>? TotalIncome);

    private sealed record IncomeItem(
        [property: JsonPropertyName("deposit_address")] string? DepositAddress,
        [property: JsonPropertyName("amount")] string? Amount,
        [property: JsonPropertyName("currency")] string? Currency);
}

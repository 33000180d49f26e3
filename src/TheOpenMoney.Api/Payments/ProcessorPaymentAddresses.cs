namespace TheOpenMoney.Api.Payments;

/// <summary>The orders address of each currency once read, for the life of the process (it never changes once provisioned).</summary>
public sealed class OrdersAddressCache
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _byCurrency = new(StringComparer.Ordinal);

    public string? Get(string currency) => _byCurrency.TryGetValue(currency, out var address) ? address : null;

    public void Set(string currency, string? address)
    {
        if (address is null)
        {
            _byCurrency.TryRemove(currency, out _);
        }
        else
        {
            _byCurrency[currency] = address;
        }
    }
}

/// <summary>
/// Addresses generated at the processor and stored, per currency (the processor generates a USDT deposit address apart
/// from TON's): one orders address (user_id <see cref="PaymentProcessorOptions.OrdersUserId"/>) and one top-up address
/// per partner (all under <see cref="PaymentProcessorOptions.TopupsUserId"/>). Provisioning runs under a transaction-scoped
/// advisory lock per purpose/partner and the unique indexes back it up, so concurrent callers and
/// several instances never generate twice; for the orders address, an address the processor already
/// has for that user_id (a crash between generating and storing) is adopted rather than replaced.
/// </summary>
public sealed partial class ProcessorPaymentAddresses(
    NpgsqlDataSource dataSource,
    ProcessorClient processor,
    ProcessorCurrencyNames currencies,
    OrdersAddressCache cache,
    TimeProvider time,
    IOptions<PaymentProcessorOptions> options,
    ILogger<ProcessorPaymentAddresses> logger) : IPaymentAddresses
{
    private const long OrdersLockKey = 0x544F4D2D41444452; // "TOM-ADDR"
    private const long UsdtOrdersLockKey = 0x544F4D2D55534454; // "TOM-USDT"
    private const long TopupLockBase = 0x544F4D5400000000; // "TOMT" + partner id
    private const long UsdtTopupLockBase = 0x544F4D5500000000; // "TOMU" + partner id

    public Task<string> GetOrdersAddressAsync(CancellationToken cancellationToken) => GetOrdersAddressAsync(PaymentCurrencies.Ton, cancellationToken);

    public Task<string?> GetTopupAddressAsync(long partnerId, CancellationToken cancellationToken) =>
        GetTopupAddressAsync(partnerId, PaymentCurrencies.Ton, cancellationToken);

    public async Task<string> GetOrdersAddressAsync(string currency, CancellationToken cancellationToken)
    {
        if (cache.Get(currency) is { } cached)
        {
            return cached;
        }

        _ = currencies.ProcessorName(currency);
        try
        {
            var address = await FindAsync("orders", null, currency, cancellationToken) ?? await ProvisionAsync("orders", null, currency, cancellationToken);
            cache.Set(currency, address);
            return address;
        }
        catch (Exception ex) when (ex is ProcessorException || HttpFailures.IsTransient(ex))
        {
            LogProvisionFailed(logger, "orders", ex.Message);
            throw new ApiException(
                StatusCodes.Status503ServiceUnavailable,
                ErrorCodes.PaymentProviderUnavailable,
                "the payment processor is unavailable; retry shortly or pay with balance")
            {
                RetryAfterSeconds = 10,
            };
        }
    }

    public async Task<string?> GetTopupAddressAsync(long partnerId, string currency, CancellationToken cancellationToken)
    {
        _ = currencies.ProcessorName(currency);
        try
        {
            return await FindAsync("topup", partnerId, currency, cancellationToken) ?? await ProvisionAsync("topup", partnerId, currency, cancellationToken);
        }
        catch (Exception ex) when (ex is ProcessorException || HttpFailures.IsTransient(ex))
        {
            // The balance is still worth answering; the address appears once the processor is back.
            LogProvisionFailed(logger, "topup", ex.Message);
            return null;
        }
    }

    /// <summary>The (processor user_id, currency) pairs we hold live addresses in: the histories worth reading.</summary>
    public async Task<HashSet<(string UserId, string Currency)>> UserCurrenciesAsync(CancellationToken cancellationToken)
    {
        var pairs = new HashSet<(string, string)>();
        await using var command = dataSource.CreateCommand("SELECT DISTINCT processor_user_id, currency FROM deposit_addresses WHERE livemode");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pairs.Add((reader.GetString(0), reader.GetString(1)));
        }

        return pairs;
    }

    private const string FindSql =
        "SELECT address FROM deposit_addresses WHERE purpose = $1 AND partner_id IS NOT DISTINCT FROM $2 AND currency = $3 AND livemode";

    private async Task<string?> FindAsync(string purpose, long? partnerId, string currency, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(FindSql);
        AddKey(command.Parameters, purpose, partnerId, currency);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private static void AddKey(NpgsqlParameterCollection parameters, string purpose, long? partnerId, string currency)
    {
        parameters.Add(new NpgsqlParameter { Value = purpose });
        parameters.Add(new NpgsqlParameter { Value = (object?)partnerId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        parameters.Add(new NpgsqlParameter { Value = currency });
    }

    private async Task<string> ProvisionAsync(string purpose, long? partnerId, string currency, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            var usdt = currency == PaymentCurrencies.Usdt;
            lockCommand.Parameters.Add(new NpgsqlParameter
            {
                Value = partnerId is { } id ? (usdt ? UsdtTopupLockBase : TopupLockBase) + id : usdt ? UsdtOrdersLockKey : OrdersLockKey,
            });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var existing = new NpgsqlCommand(FindSql, connection, transaction))
        {
            AddKey(existing.Parameters, purpose, partnerId, currency);
            if (await existing.ExecuteScalarAsync(cancellationToken) is string found)
            {
                return found;
            }
        }

        var userId = purpose == "orders" ? settings.OrdersUserId : settings.TopupsUserId;
        string raw;
        if (purpose == "orders" && (await processor.AllAddressesAsync(userId, currency, cancellationToken)) is [var adopted, ..])
        {
            raw = adopted;
        }
        else
        {
            raw = await processor.NewAddressAsync(userId, currency, cancellationToken);
        }

        if (!TonAddress.IsValid(raw))
        {
            throw new ProcessorException("the processor returned an invalid address");
        }

        var address = TonAddress.ToNonBounceable(raw);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO deposit_addresses (purpose, partner_id, currency, processor_user_id, address, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            connection,
            transaction))
        {
            AddKey(insert.Parameters, purpose, partnerId, currency);
            insert.Parameters.Add(new NpgsqlParameter { Value = userId });
            insert.Parameters.Add(new NpgsqlParameter { Value = address });
            insert.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LogProvisioned(logger, purpose, currency, partnerId);
        return address;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Provisioned the {Purpose} deposit address in {Currency} (partner {PartnerId})")]
    private static partial void LogProvisioned(ILogger logger, string purpose, string currency, long? partnerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not provision the {Purpose} deposit address: {Error}")]
    private static partial void LogProvisionFailed(ILogger logger, string purpose, string error);
}

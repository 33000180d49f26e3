namespace TheOpenMoney.Api.Payments;

/// <summary>The orders address once read, for the life of the process (it never changes once provisioned).</summary>
public sealed class OrdersAddressCache
{
    public string? Value { get; set; }
}

/// <summary>
/// Addresses generated at the processor and stored: one orders address (user_id
/// <see cref="PaymentProcessorOptions.OrdersUserId"/>) and one top-up address per partner (all under
/// <see cref="PaymentProcessorOptions.TopupsUserId"/>). Provisioning runs under a transaction-scoped
/// advisory lock per purpose/partner and the unique indexes back it up, so concurrent callers and
/// several instances never generate twice; for the orders address, an address the processor already
/// has for that user_id (a crash between generating and storing) is adopted rather than replaced.
/// </summary>
public sealed partial class ProcessorPaymentAddresses(
    NpgsqlDataSource dataSource,
    ProcessorClient processor,
    OrdersAddressCache cache,
    TimeProvider time,
    IOptions<PaymentProcessorOptions> options,
    ILogger<ProcessorPaymentAddresses> logger) : IPaymentAddresses
{
    private const long OrdersLockKey = 0x544F4D2D41444452; // "TOM-ADDR"
    private const long TopupLockBase = 0x544F4D5400000000; // "TOMT" + partner id

    public async Task<string> GetOrdersAddressAsync(CancellationToken cancellationToken)
    {
        if (cache.Value is { } cached)
        {
            return cached;
        }

        try
        {
            var address = await FindAsync("orders", null, cancellationToken) ?? await ProvisionAsync("orders", null, cancellationToken);
            cache.Value = address;
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

    public async Task<string?> GetTopupAddressAsync(long partnerId, CancellationToken cancellationToken)
    {
        try
        {
            return await FindAsync("topup", partnerId, cancellationToken) ?? await ProvisionAsync("topup", partnerId, cancellationToken);
        }
        catch (Exception ex) when (ex is ProcessorException || HttpFailures.IsTransient(ex))
        {
            // The balance is still worth answering; the address appears once the processor is back.
            LogProvisionFailed(logger, "topup", ex.Message);
            return null;
        }
    }

    private async Task<string?> FindAsync(string purpose, long? partnerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT address FROM deposit_addresses WHERE purpose = $1 AND partner_id IS NOT DISTINCT FROM $2 AND livemode");
        command.Parameters.Add(new NpgsqlParameter { Value = purpose });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)partnerId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private async Task<string> ProvisionAsync(string purpose, long? partnerId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = partnerId is { } id ? TopupLockBase + id : OrdersLockKey });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var existing = new NpgsqlCommand(
            "SELECT address FROM deposit_addresses WHERE purpose = $1 AND partner_id IS NOT DISTINCT FROM $2 AND livemode", connection, transaction))
        {
            existing.Parameters.Add(new NpgsqlParameter { Value = purpose });
            existing.Parameters.Add(new NpgsqlParameter { Value = (object?)partnerId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            if (await existing.ExecuteScalarAsync(cancellationToken) is string found)
            {
                return found;
            }
        }

        var userId = purpose == "orders" ? settings.OrdersUserId : settings.TopupsUserId;
        string raw;
        if (purpose == "orders" && (await processor.AllAddressesAsync(userId, cancellationToken)) is [var adopted, ..])
        {
            raw = adopted;
        }
        else
        {
            raw = await processor.NewAddressAsync(userId, cancellationToken);
        }

        if (!TonAddress.IsValid(raw))
        {
            throw new ProcessorException("the processor returned an invalid address");
        }

        var address = TonAddress.ToNonBounceable(raw);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO deposit_addresses (purpose, partner_id, processor_user_id, address, created_at) VALUES ($1, $2, $3, $4, $5)",
            connection,
            transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = purpose });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)partnerId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { Value = userId });
            insert.Parameters.Add(new NpgsqlParameter { Value = address });
            insert.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LogProvisioned(logger, purpose, partnerId);
        return address;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Provisioned the {Purpose} deposit address (partner {PartnerId})")]
    private static partial void LogProvisioned(ILogger logger, string purpose, long? partnerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not provision the {Purpose} deposit address: {Error}")]
    private static partial void LogProvisionFailed(ILogger logger, string purpose, string error);
}

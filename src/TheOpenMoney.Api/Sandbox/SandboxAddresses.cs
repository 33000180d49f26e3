using System.Security.Cryptography;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Sandbox;

/// <summary>
/// Test mode's payment addresses, never generated at the processor: testnet-form (<c>0Q…</c>) addresses
/// with valid checksums, made from a hash (per currency: one orders address, one top-up address per test twin), so no
/// real wallet should pay them and the processor never watches them. Each is stored in
/// <c>deposit_addresses</c> with <c>livemode = false</c> the first time it is given out, so simulated
/// deposits go through the same matching as real ones (which matches them only to test addresses and orders).
/// </summary>
public sealed class SandboxAddresses(NpgsqlDataSource dataSource, TimeProvider time) : IOrderPaymentAddress, ITopupAddress
{
    /// <summary>The <c>processor_user_id</c> of sandbox addresses and simulated deposits.</summary>
    public const string UserId = "sandbox";

    private static readonly string OrdersAddress = AddressOf("orders");
    private static readonly string UsdtOrdersAddress = AddressOf("orders-USDT");

    private volatile bool _ordersStored;
    private volatile bool _usdtOrdersStored;

    public Task<string> GetOrdersAddressAsync(CancellationToken cancellationToken) => GetOrdersAddressAsync(PaymentCurrencies.Ton, cancellationToken);

    public async Task<string> GetOrdersAddressAsync(string currency, CancellationToken cancellationToken)
    {
        var usdt = currency == PaymentCurrencies.Usdt;
        if (!(usdt ? _usdtOrdersStored : _ordersStored))
        {
            await StoreAsync("orders", null, currency, usdt ? UsdtOrdersAddress : OrdersAddress, cancellationToken);
            if (usdt)
            {
                _usdtOrdersStored = true;
            }
            else
            {
                _ordersStored = true;
            }
        }

        return usdt ? UsdtOrdersAddress : OrdersAddress;
    }

    public Task<string?> GetTopupAddressAsync(long partnerId, CancellationToken cancellationToken) =>
        GetTopupAddressAsync(partnerId, PaymentCurrencies.Ton, cancellationToken);

    public async Task<string?> GetTopupAddressAsync(long partnerId, string currency, CancellationToken cancellationToken)
    {
        // TON's keeps the name it always had, so existing sandbox addresses stay what they were.
        var address = AddressOf(currency == PaymentCurrencies.Ton
            ? string.Create(CultureInfo.InvariantCulture, $"topup-{partnerId}")
            : string.Create(CultureInfo.InvariantCulture, $"topup-{currency}-{partnerId}"));
        await StoreAsync("topup", partnerId, currency, address, cancellationToken);
        return address;
    }

    /// <summary>The sandbox address made for <paramref name="purpose"/> (testnet form, valid checksum).</summary>
    public static string AddressOf(string purpose) =>
        TonAddress.Testnet(SHA256.HashData(Encoding.UTF8.GetBytes("TheOpenMoney sandbox " + purpose)));

    private async Task StoreAsync(string purpose, long? partnerId, string currency, string address, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO deposit_addresses (purpose, partner_id, processor_user_id, address, created_at, livemode, currency)
            VALUES ($1, $2, $3, $4, $5, false, $6)
            ON CONFLICT DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = purpose });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)partnerId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = UserId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = address });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = currency });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

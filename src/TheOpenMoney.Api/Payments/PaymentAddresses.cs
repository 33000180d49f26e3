using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Payments;

/// <summary>Where partners pay: the shared orders deposit address (Orders' port) and each partner's top-up address (Balance's port).</summary>
public interface IPaymentAddresses : IOrderPaymentAddress, ITopupAddress;

/// <summary>
/// The orders address from configuration (<c>Payments:OrdersAddress</c>); no top-up addresses.
/// The payment-processor integration replaces this with addresses provisioned by the processor.
/// </summary>
public sealed class ConfiguredPaymentAddresses(IOptions<PaymentAddressOptions> options) : IPaymentAddresses
{
    public Task<string> GetOrdersAddressAsync(CancellationToken cancellationToken) =>
        Task.FromResult(TonAddress.ToNonBounceable(options.Value.OrdersAddress
            ?? throw new InvalidOperationException("Payments:OrdersAddress is not configured")));

    public Task<string?> GetTopupAddressAsync(long partnerId, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}

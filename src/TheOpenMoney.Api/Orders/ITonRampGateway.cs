namespace TheOpenMoney.Api.Orders;

/// <summary>
/// The port through which orders get TonRamp payment links (implemented by the TonRamp feature, so
/// Orders does not depend on it): makes the links for an order, or refuses with 503 <c>PAYMENT_PROVIDER_UNAVAILABLE</c>.
/// </summary>
public interface ITonRampGateway
{
    Task<TonRampPaymentLinks> CreateLinksAsync(string wallet, long priceNanoton, string txId, CancellationToken cancellationToken);
}

namespace TheOpenMoney.Api.TonRamp;

/// <summary>Makes TonRamp payment links for an order, or refuses with 503 <c>PAYMENT_PROVIDER_UNAVAILABLE</c>.</summary>
public interface ITonRampGateway
{
    Task<TonRampLinks> CreateLinksAsync(string wallet, long priceNanoton, string txId, CancellationToken cancellationToken);
}

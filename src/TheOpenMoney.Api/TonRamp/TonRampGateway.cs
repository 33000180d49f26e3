using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.TonRamp;

/// <summary>TonRamp is configured: links come from its API (<see cref="TonRampClient.GenerateAsync"/>).</summary>
internal sealed class TonRampGateway(TonRampClient client) : ITonRampGateway
{
    public Task<TonRampPaymentLinks> CreateLinksAsync(string wallet, long priceNanoton, string txId, CancellationToken cancellationToken) =>
        client.GenerateAsync(wallet, priceNanoton, txId, cancellationToken);
}

using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.TonRamp;

/// <summary>TonRamp is not configured here (<c>TonRamp:BaseUrl</c>, <c>TonRamp:MerchantId</c>).</summary>
internal sealed class UnconfiguredTonRamp : ITonRampGateway
{
    public Task<TonRampPaymentLinks> CreateLinksAsync(string wallet, long priceNanoton, string txId, CancellationToken cancellationToken) =>
        throw TonRampClient.Unavailable("TonRamp is not configured on this server; use ton_memo or balance", 60);
}

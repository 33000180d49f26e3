using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Sandbox;

/// <summary>
/// TonRamp in test mode: nothing is asked of TonRamp. The links are made here and are plainly not TonRamp's:
/// the payload names the sandbox, and both links are the <c>ton://transfer</c> link of the order's sandbox
/// address (which no real wallet should pay). The order is paid like any test order, through the sandbox.
/// </summary>
internal sealed class SandboxTonRamp : ITonRampGateway
{
    public Task<TonRampPaymentLinks> CreateLinksAsync(string wallet, long priceNanoton, string txId, CancellationToken cancellationToken)
    {
        var link = string.Create(CultureInfo.InvariantCulture, $"ton://transfer/{wallet}?amount={priceNanoton}&text={Uri.EscapeDataString(txId)}");
        return Task.FromResult(new TonRampPaymentLinks("sandbox:" + txId, link, link));
    }
}

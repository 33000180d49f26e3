namespace TheOpenMoney.Api.Balance;

/// <summary>
/// The port through which the balance shows where a partner tops it up (implemented by Payments, which
/// provisions the address at the processor, so Balance does not depend on it).
/// </summary>
public interface ITopupAddress
{
    /// <summary>The partner's TON top-up address, or null when none is provisioned yet.</summary>
    Task<string?> GetTopupAddressAsync(long partnerId, CancellationToken cancellationToken);

    /// <summary>The partner's top-up address in <paramref name="currency"/>, or null when there is none (yet).</summary>
    Task<string?> GetTopupAddressAsync(long partnerId, string currency, CancellationToken cancellationToken) =>
        currency == PaymentCurrencies.Ton ? GetTopupAddressAsync(partnerId, cancellationToken) : Task.FromResult<string?>(null);
}

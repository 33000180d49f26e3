namespace TheOpenMoney.Api.Payments;

/// <summary>
/// Our currency codes (<see cref="PaymentCurrencies"/>) and the processor's names for them: TON is
/// <c>PaymentProcessor:Currency</c>, USDT is <c>Payments:UsdtCurrency</c> (only while USDT is on, <see cref="UsdtOptions.Enabled"/>).
/// Every processor call that takes or reports a currency goes through here, so an amount is never read in a currency it
/// was not asked or reported in.
/// </summary>
public sealed class ProcessorCurrencyNames(IOptions<PaymentProcessorOptions> processor, IOptions<UsdtOptions> usdt)
{
    /// <summary>The currencies whose deposits we read and take, TON first.</summary>
    public IReadOnlyList<string> Codes => usdt.Value.Enabled ? PaymentCurrencies.All : [PaymentCurrencies.Ton];

    /// <summary>The processor's names of <see cref="Codes"/>, in the same order.</summary>
    public IReadOnlyList<string> ProcessorNames => [.. Codes.Select(ProcessorName)];

    /// <summary>The processor's name for <paramref name="code"/>; a currency we do not take is a programming error.</summary>
    public string ProcessorName(string code) => code switch
    {
        PaymentCurrencies.Ton => processor.Value.Currency,
        PaymentCurrencies.Usdt when usdt.Value.Enabled => usdt.Value.UsdtCurrency,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not a currency we take"),
    };

    /// <summary>Our code for the processor's <paramref name="name"/> (exact, case-sensitive), or null when we do not take it.</summary>
    public string? CodeOf(string? name)
    {
        foreach (var code in Codes)
        {
            if (string.Equals(name, ProcessorName(code), StringComparison.Ordinal))
            {
                return code;
            }
        }

        return null;
    }
}

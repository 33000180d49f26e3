namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// Deposits are counted in nanoTON, so the payment path reads TON only until USDT is built (issue 27): a processor
/// currency configured as anything else stops start-up instead of crediting a jetton's base units as nanoTON.
/// </summary>
public sealed class ProcessorCurrencyOptionTests
{
    [Theory]
    [InlineData("USDT")]
    [InlineData("ton")]
    [InlineData("")]
    public async Task A_processor_currency_other_than_ton_stops_start_up(string currency)
    {
        var factory = new SettingsFactory();
        factory.Settings["PaymentProcessor:Currency"] = currency;
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(factory.InitializeAsync);
            Assert.Contains("PaymentProcessor:Currency must be TON", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await factory.DisposeAsync();
        }
    }
}

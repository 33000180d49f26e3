namespace TheOpenMoney.Api.Money;

/// <summary>
/// The currencies an order can be paid in, by the codes the API, the database and the events use: <c>TON</c> and
/// <c>USDT</c> (Tether USD on TON, a jetton).
/// </summary>
public static class PaymentCurrencies
{
    public const string Ton = "TON";

    public const string Usdt = "USDT";

    /// <summary>Every currency, TON first.</summary>
    public static IReadOnlyList<string> All { get; } = [Ton, Usdt];

    /// <summary>Whether <paramref name="code"/> is exactly one of <see cref="All"/> (case matters: <c>usdt</c> is not one).</summary>
    public static bool IsKnown(string? code) => code is Ton or Usdt;

    /// <summary>
    /// <paramref name="units"/> of the currency a row names (<paramref name="code"/>) in whole coins: the one place a
    /// currency held as text (a database row's) meets its decimals. An unknown code is an error, never a guess.
    /// </summary>
    public static decimal Coins(string code, long units) => code switch
    {
        Ton => new Amount<Money.Ton>(units).Coins,
        Usdt => new Amount<Money.Usdt>(units).Coins,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not a currency"),
    };

    /// <summary>The fraction digits of the currency <paramref name="code"/> names.</summary>
    public static int Decimals(string code) => code switch
    {
        Ton => Money.Ton.Decimals,
        Usdt => Money.Usdt.Decimals,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not a currency"),
    };

    /// <summary>Exactly <paramref name="coins"/> in base units of <paramref name="code"/>; more fraction digits than it has is an error.</summary>
    public static long Units(string code, decimal coins) => code switch
    {
        Ton => Amount<Money.Ton>.OfCoins(coins).Units,
        Usdt => Amount<Money.Usdt>.OfCoins(coins).Units,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not a currency"),
    };
}

/// <summary>
/// Configuration section <c>Payments</c>, its USDT part: how the processor names the jetton (<c>UsdtCurrency</c>,
/// what <c>POST /v1/address/new</c> and <c>GET /v1/deposit/history</c> take as <c>currency</c>) and its master contract
/// (<c>UsdtMaster</c>, what a payment link names as <c>jetton=</c>). USDT orders are offered while the master is set.
/// </summary>
public sealed class UsdtOptions
{
    public const string Section = "Payments";

    /// <summary>Tether's USDT master contract on TON mainnet.</summary>
    public const string MainnetMaster = "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs";

    /// <summary>The processor's name for USDT.</summary>
    public string UsdtCurrency { get; set; } = "USDT";

    /// <summary>The USDT jetton master; empty turns USDT payments off (orders asking for USDT get 422).</summary>
    public string? UsdtMaster { get; set; } = MainnetMaster;

    public bool Enabled => !string.IsNullOrWhiteSpace(UsdtMaster);
}

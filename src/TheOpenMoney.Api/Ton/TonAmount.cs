namespace TheOpenMoney.Api.Ton;

/// <summary>TON amounts: stored and computed as nanoTON (<c>long</c>), shown as decimals with at most 9 fraction digits.</summary>
public static class TonAmount
{
    public const long NanoPerTon = 1_000_000_000;

    /// <summary>nanoTON → TON with no trailing zeros (<c>418000000</c> → <c>0.418</c>).</summary>
    public static decimal FromNano(long nano) => new Amount<Money.Ton>(nano).Coins;

    /// <summary>The same value without trailing zeros (<c>1.500</c> → <c>1.5</c>), for JSON.</summary>
    public static decimal Trim(decimal value) => value / 1.000000000000000000000000000000000m;

    /// <summary>TON → nanoTON; throws when the amount has more than 9 fraction digits.</summary>
    public static long ToNano(decimal ton) => Amount<Money.Ton>.OfCoins(ton).Units;

    /// <summary>
    /// The name of the exact twin of a TON amount's JSON name: the word <c>ton</c> becomes <c>nanoton</c>
    /// (<c>price_ton</c> → <c>price_nanoton</c>, <c>ton_received</c> → <c>nanoton_received</c>).
    /// </summary>
    public static string TwinName(string tonName)
    {
        ArgumentNullException.ThrowIfNull(tonName);
        return string.Join('_', tonName.Split('_').Select(word => word == "ton" ? "nanoton" : word));
    }

    /// <summary>Rounds a TON amount up to a multiple of <paramref name="step"/> (e.g. 0.001).</summary>
    public static decimal CeilingTo(decimal ton, decimal step) => Trim(decimal.Ceiling(ton / step) * step);
}

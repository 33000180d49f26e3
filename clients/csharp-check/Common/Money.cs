namespace TheOpenMoney.ClientCheck;

/// <summary>
/// Exact money checks: a TON or USDT amount (a <see cref="decimal"/>, as both generators type <c>format: decimal</c>)
/// against its base-unit twin (a string of digits: nanoTON, or 10⁻⁶ USDT), with no floating point anywhere.
/// </summary>
public static class Money
{
    private const decimal NanoPerTon = 1_000_000_000m;
    private const decimal UnitsPerUsdt = 1_000_000m;

    /// <summary>The nanoTON of a twin (<c>"418000000"</c>).</summary>
    public static long Nano(string? twin, string what)
    {
        PartnerDay.Check(twin is not null && long.TryParse(twin, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _), $"{what}: twin \"{twin}\" is not a nanoTON string");
        return long.Parse(twin!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    /// <summary>Checks that <paramref name="ton"/> × 10⁹ is exactly <paramref name="twin"/>; returns the nanoTON.</summary>
    public static long Exact(decimal? ton, string? twin, string what) => ExactIn(ton, twin, what, NanoPerTon, "TON", 9);

    /// <summary>Checks that <paramref name="usdt"/> × 10⁶ is exactly <paramref name="twin"/>; returns the USDT base units.</summary>
    public static long ExactUsdt(decimal? usdt, string? twin, string what) => ExactIn(usdt, twin, what, UnitsPerUsdt, "USDT", 6);

    private static long ExactIn(decimal? coins, string? twin, string what, decimal unitsPerCoin, string currency, int decimals)
    {
        var amount = PartnerDay.Present(coins, what);
        var units = Nano(twin, what);
        var scaled = amount * unitsPerCoin;
        PartnerDay.Check(decimal.Truncate(scaled) == scaled, $"{what}: {amount} {currency} has more than {decimals} fraction digits");
        PartnerDay.Check(scaled == units, $"{what}: {amount} {currency} × 10^{decimals} = {scaled}, but the twin says {units}");
        return units;
    }

    /// <summary>A TON text for output: the exact decimal as the API sent it.</summary>
    public static string Ton(decimal? ton) => ton?.ToString(CultureInfo.InvariantCulture) ?? "?";
}

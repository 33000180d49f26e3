namespace TheOpenMoney.ClientCheck;

/// <summary>
/// Exact money checks: a TON amount (a <see cref="decimal"/>, as both generators type <c>format: decimal</c>)
/// against its nanoTON twin (a string of digits), with no floating point anywhere.
/// </summary>
public static class Money
{
    private const decimal NanoPerTon = 1_000_000_000m;

    /// <summary>The nanoTON of a twin (<c>"418000000"</c>).</summary>
    public static long Nano(string? twin, string what)
    {
        PartnerDay.Check(twin is not null && long.TryParse(twin, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _), $"{what}: twin \"{twin}\" is not a nanoTON string");
        return long.Parse(twin!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    /// <summary>Checks that <paramref name="ton"/> × 10⁹ is exactly <paramref name="twin"/>; returns the nanoTON.</summary>
    public static long Exact(decimal? ton, string? twin, string what)
    {
        var amount = PartnerDay.Present(ton, what);
        var nano = Nano(twin, what);
        var scaled = amount * NanoPerTon;
        PartnerDay.Check(decimal.Truncate(scaled) == scaled, $"{what}: {amount} TON has more than 9 fraction digits");
        PartnerDay.Check(scaled == nano, $"{what}: {amount} TON × 10⁹ = {scaled}, but the twin says {nano}");
        return nano;
    }

    /// <summary>A TON text for output: the exact decimal as the API sent it.</summary>
    public static string Ton(decimal? ton) => ton?.ToString(CultureInfo.InvariantCulture) ?? "?";
}

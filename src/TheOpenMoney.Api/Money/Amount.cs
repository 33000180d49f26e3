
namespace TheOpenMoney.Api.Money;

/// <summary>
/// A currency the API holds money in: the code the processor and the contract use, and how many decimals its base
/// unit has. Implemented by marker types only (<see cref="Ton"/>, <see cref="Usdt"/>), so an amount's currency is part
/// of its type.
/// </summary>
public interface ICurrency
{
    static abstract string Code { get; }

    static abstract int Decimals { get; }
}

/// <summary>Toncoin: 9 decimals (nanoTON).</summary>
public sealed class Ton : ICurrency
{
    private Ton()
    {
    }

    public static string Code => "TON";

    public static int Decimals => 9;
}

/// <summary>Tether USD on TON (a jetton): 6 decimals.</summary>
public sealed class Usdt : ICurrency
{
    private Usdt()
    {
    }

    public static string Code => "USDT";

    public static int Decimals => 6;
}

/// <summary>
/// An exact amount of one currency, in its base units (what the database stores as <c>bigint</c>). Amounts of one
/// currency add, subtract and compare; there is no operator between two currencies, so adding TON to USDT does not
/// compile. Arithmetic is checked: an overflow throws rather than wrapping.
/// </summary>
public readonly record struct Amount<TCurrency>(long Units) : IComparable<Amount<TCurrency>>
    where TCurrency : ICurrency
{
    /// <summary>Base units in one whole coin (10^decimals).</summary>
    public static long UnitsPerCoin { get; } = PowerOfTen(TCurrency.Decimals);

    public static Amount<TCurrency> Zero => default;

    /// <summary>The amount in whole coins, without trailing zeros (1.5, not 1.500000).</summary>
    public decimal Coins => TonAmount.Trim(Units / (decimal)UnitsPerCoin);

    /// <summary>The base units as a string of digits: the exact twin a JSON amount carries.</summary>
    public string UnitsText => Units.ToString(CultureInfo.InvariantCulture);

    /// <summary>Exactly <paramref name="coins"/>; more fraction digits than the currency has is an error, never a rounding.</summary>
    public static Amount<TCurrency> OfCoins(decimal coins)
    {
        var units = coins * UnitsPerCoin;
        if (units != decimal.Truncate(units))
        {
            throw new ArgumentOutOfRangeException(nameof(coins), coins, $"{TCurrency.Code} amounts have at most {TCurrency.Decimals} fraction digits");
        }

        return new Amount<TCurrency>(checked((long)units));
    }

    /// <summary><paramref name="coins"/> rounded up to a multiple of <paramref name="step"/> (a price never rounds in the payer's favour against us).</summary>
    public static Amount<TCurrency> CeilingOfCoins(decimal coins, decimal step)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(step);
        return OfCoins(decimal.Ceiling(coins / step) * step);
    }

    public static Amount<TCurrency> operator +(Amount<TCurrency> left, Amount<TCurrency> right) => new(checked(left.Units + right.Units));

    public static Amount<TCurrency> operator -(Amount<TCurrency> left, Amount<TCurrency> right) => new(checked(left.Units - right.Units));

    public static bool operator <(Amount<TCurrency> left, Amount<TCurrency> right) => left.Units < right.Units;

    public static bool operator >(Amount<TCurrency> left, Amount<TCurrency> right) => left.Units > right.Units;

    public static bool operator <=(Amount<TCurrency> left, Amount<TCurrency> right) => left.Units <= right.Units;

    public static bool operator >=(Amount<TCurrency> left, Amount<TCurrency> right) => left.Units >= right.Units;

    public int CompareTo(Amount<TCurrency> other) => Units.CompareTo(other.Units);

    /// <summary>For people and logs: <c>1.5 USDT</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Coins} {TCurrency.Code}");

    private static long PowerOfTen(int exponent)
    {
        var value = 1L;
        for (var i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }
}

using System.Globalization;

namespace TheOpenMoney.Tests.Support;

/// <summary>
/// Checks the money of an answer as a client receives it: every TON amount (a JSON number whose name has the
/// word <c>ton</c> and not <c>usd</c>, a rate, nor <c>memo</c>, the payment method counted in stats) has its twin (the word <c>ton</c> made <c>nanoton</c>), a string of
/// digits, and the number's exact decimal text × 10⁹ is that twin. No floating point is involved.
/// </summary>
public static class MoneyTwins
{
    /// <summary>Walks <paramref name="json"/>; returns the names of the TON amounts it checked.</summary>
    public static HashSet<string> AssertExact(JsonElement json)
    {
        var checkedNames = new HashSet<string>(StringComparer.Ordinal);
        Walk(json, "$", checkedNames);
        return checkedNames;
    }

    /// <summary>The nanoTON of a TON amount's JSON text (<c>0.418</c> → 418000000), refusing more than 9 fraction digits or an exponent.</summary>
    public static long NanoOf(JsonElement amount)
    {
        var text = amount.GetRawText();
        Assert.DoesNotContain("e", text, StringComparison.OrdinalIgnoreCase);
        var nano = decimal.Parse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * 1_000_000_000m;
        Assert.True(decimal.Truncate(nano) == nano, $"{text} TON has more than 9 fraction digits");
        return decimal.ToInt64(nano);
    }

    private static void Walk(JsonElement json, string path, HashSet<string> checkedNames)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in json.EnumerateObject())
                {
                    var words = property.Name.Split('_');
                    if (property.Value.ValueKind == JsonValueKind.Number && words.Contains("ton") && !words.Contains("usd") && !words.Contains("memo"))
                    {
                        var twinName = string.Join('_', words.Select(w => w == "ton" ? "nanoton" : w));
                        Assert.True(json.TryGetProperty(twinName, out var twin), $"{path}.{property.Name} has no twin {twinName}");
                        Assert.Equal(JsonValueKind.String, twin.ValueKind);
                        Assert.Matches("^-?(0|[1-9][0-9]*)$", twin.GetString()!);
                        Assert.True(
                            NanoOf(property.Value) == long.Parse(twin.GetString()!, CultureInfo.InvariantCulture),
                            $"{path}.{property.Name} = {property.Value.GetRawText()} but {twinName} = {twin.GetString()}");
                        checkedNames.Add(property.Name);
                    }

                    Walk(property.Value, $"{path}.{property.Name}", checkedNames);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in json.EnumerateArray())
                {
                    Walk(item, $"{path}[{i++}]", checkedNames);
                }

                break;
        }
    }
}

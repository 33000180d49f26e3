using System.Text.RegularExpressions;

namespace TheOpenMoney.Tests.Architecture;

/// <summary>
/// Money out has one owner: in C# only <c>MoneyOut/WithdrawalLifecycle.cs</c> writes <c>withdrawals</c> or an
/// unmatched deposit's refund decision (<c>deposits.decision</c>); the operator's <c>assign</c> goes through
/// the database's <c>assign_unmatched_deposit</c>.
/// </summary>
public sealed partial class MoneyOutWritesTests
{
    private const string Owner = "src/TheOpenMoney.Api/MoneyOut/WithdrawalLifecycle.cs";

    [Fact]
    public void Only_WithdrawalLifecycle_writes_withdrawals_or_a_deposits_decision() => Assert.Empty(SourceTree.WritersOtherThan(Owner, Writes));

    [Fact]
    public void WithdrawalLifecycle_is_found_writing_both()
    {
        // The check above cannot pass by looking for nothing.
        var lines = SourceTree.WritesIn(Owner, Writes);

        Assert.Contains(lines, line => line.Contains("INSERT INTO withdrawals", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("UPDATE withdrawals", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("decision = 'keep'", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("decision = 'unrefundable'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("UPDATE withdrawals SET status = $1")]
    [InlineData("INSERT INTO withdrawals (id, kind)")]
    [InlineData("UPDATE deposits SET decision = 'keep', decided_at = $2")]
    [InlineData("   SET decision = 'refunded', decided_at = $4")]
    public void The_check_recognises_a_write(string code) => Assert.NotEmpty(Writes(code));

    [Theory]
    [InlineData("SELECT status FROM withdrawals WHERE id = $1")]
    [InlineData("SELECT coalesce(decision, 'none') FROM deposits")]
    [InlineData("WHERE d.decision = 'refunding'")]
    public void The_check_ignores_reads(string code) => Assert.Empty(Writes(code));

    private static IEnumerable<int> Writes(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (WithdrawalsWrite().IsMatch(lines[i]) || DecisionWrite().IsMatch(lines[i]))
            {
                yield return i + 1;
            }
        }
    }

    [GeneratedRegex(@"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+withdrawals\b(?!_)", RegexOptions.IgnoreCase)]
    private static partial Regex WithdrawalsWrite();

    [GeneratedRegex(@"\bSET\s+(\w+\.)?decision\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex DecisionWrite();
}

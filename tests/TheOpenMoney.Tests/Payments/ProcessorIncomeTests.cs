using TheOpenMoney.Api.Ton;
using TheOpenMoney.Api.Payments;

namespace TheOpenMoney.Tests.Payments;

/// <summary>Every field of a processor row is attacker-controlled: each row is read on its own, and garbage is rejected, never guessed at.</summary>
public sealed class ProcessorIncomeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private const string Address = "UQC2Ttw51lkpMeynPSb5YeHKMu152koHzptMpy6mAVDO9y6F";

    private static string Row(string amount = "\"417000000\"", string time = "1764763200", string txHash = "\"abc123\"", string address = $"\"{Address}\"", string? comment = null)
    {
        var fields = new List<string> { $"\"deposit_address\": {address}", $"\"time\": {time}", $"\"amount\": {amount}", $"\"tx_hash\": {txHash}" };
        if (comment is not null)
        {
            fields.Add($"\"comment\": {comment}");
        }

        return "{" + string.Join(", ", fields) + "}";
    }

    private static (bool Read, IncomingDeposit Deposit, RejectedIncome Rejected) Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var read = ProcessorIncome.TryRead(document.RootElement, "orders", Now, out var deposit, out var rejected);
        return (read, deposit, rejected);
    }

    [Fact]
    public void An_honest_row_is_read_exactly()
    {
        var (read, deposit, _) = Read(Row(comment: "\"STARS-a1b2c3\""));

        Assert.True(read);
        Assert.Equal(new IncomingDeposit("abc123", "orders", Address, null, 417_000_000, "STARS-a1b2c3", DateTimeOffset.FromUnixTimeSeconds(1764763200)), deposit);
    }

    [Theory]
    [InlineData("\"-5\"")]
    [InlineData("\"abc\"")]
    [InlineData("\"1e12\"")]
    [InlineData("\"\"")]
    [InlineData("\" 7\"")]
    [InlineData("\"7 \"")]
    [InlineData("\"0x10\"")]
    [InlineData("\"+7\"")]
    [InlineData("\"0\"")]
    [InlineData("\"9223372036854775808\"")]
    [InlineData("\"99999999999999999999999\"")]
    [InlineData("\"1.5\"")]
    [InlineData("417000000")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("\"\\u0037\\u0000\"")]
    public void Amounts_that_are_not_plain_positive_nanoton_digits_are_rejected(string amount)
    {
        var (read, _, rejected) = Read(Row(amount: amount));

        Assert.False(read);
        Assert.Contains("amount", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal("abc123", rejected.TxHash);
        Assert.Null(rejected.AmountNanoton);
    }

    [Theory]
    [InlineData("9223372036854775807")]
    [InlineData("-100000000000000")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("\"1764763200\"")]
    [InlineData("null")]
    [InlineData("99999999999")]
    public void Times_that_are_not_plausible_unix_seconds_are_rejected(string time)
    {
        var (read, _, rejected) = Read(Row(time: time));

        Assert.False(read);
        Assert.Contains("time", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal(417_000_000, rejected.AmountNanoton);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("\"has space\"")]
    [InlineData("\"nul\\u0000byte\"")]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"quote'\"")]
    public void Tx_hashes_that_cannot_be_one_are_rejected_and_not_kept(string txHash)
    {
        var (read, _, rejected) = Read(Row(txHash: txHash));

        Assert.False(read);
        Assert.Contains("tx_hash", rejected.Reason, StringComparison.Ordinal);
        Assert.Null(rejected.TxHash);
    }

    [Fact]
    public void Oversized_tx_hash_and_address_are_rejected()
    {
        Assert.False(Read(Row(txHash: $"\"{new string('a', 129)}\"")).Read);
        Assert.True(Read(Row(txHash: $"\"{new string('a', 128)}\"")).Read);
        Assert.False(Read(Row(address: $"\"{new string('U', 65)}\"")).Read);
        Assert.False(Read(Row(address: "\"UQ with\\u0000nul\"")).Read);
    }

    [Fact]
    public void A_comment_with_an_invalid_escape_is_rejected_with_its_raw_bytes_kept()
    {
        var json = Row(comment: "\"pay\\ud800me\"");

        var (read, _, rejected) = Read(json);

        Assert.False(read);
        Assert.Contains("comment", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal(json, Encoding.UTF8.GetString(rejected.Raw));
    }

    [Theory]
    [InlineData("\"poison\\u0000pill\"", "poison\0pill")]
    [InlineData("\"\\u202eSTARS-a1b2c3\"", "\u202eSTARS-a1b2c3")]
    [InlineData("\"\\ufffd\"", "\ufffd")]
    [InlineData("\"\\ud83d\\ude80 thanks\"", "🚀 thanks")]
    [InlineData("\"\\u0001\\u001b[31m\"", "\u0001\u001b[31m")]
    public void Hostile_but_readable_comments_are_kept_exactly(string comment, string expected)
    {
        var (read, deposit, _) = Read(Row(comment: comment));

        Assert.True(read);
        Assert.Equal(expected, deposit.Comment);
    }

    [Fact]
    public void A_five_thousand_character_comment_is_kept_and_a_huge_one_is_rejected()
    {
        var (read, deposit, _) = Read(Row(comment: $"\"{new string('x', 5000)}\""));
        Assert.True(read);
        Assert.Equal(5000, deposit.Comment!.Length);

        Assert.False(Read(Row(comment: $"\"{new string('x', ProcessorIncome.MaxCommentLength + 1)}\"")).Read);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"row\"")]
    [InlineData("null")]
    [InlineData("{}")]
    public void Rows_that_are_not_deposit_objects_are_rejected(string json) => Assert.False(Read(json).Read);

    [Fact]
    public void An_unreadable_source_address_is_dropped_not_fatal()
    {
        var (read, deposit, _) = Read(Row().TrimEnd('}') + $", \"source_address\": \"{new string('Q', 80)}\"}}");

        Assert.True(read);
        Assert.Null(deposit.SourceAddress);
    }

    [Theory]
    [InlineData("STARS-a1b2c3", "STARS-a1b2c3")]
    [InlineData("  stars-A1B2C3\t", "STARS-a1b2c3")]
    [InlineData("\0STARS-a1b2c3\0", "STARS-a1b2c3")]
    [InlineData("\u0001\r\n STARS-a1b2c3 \u0007", "STARS-a1b2c3")]
    [InlineData("STARS-a1b2c3 thanks", null)]
    [InlineData("pay STARS-a1b2c3", null)]
    [InlineData("STARS-a1b2\0c3", null)]
    [InlineData("\u202eSTARS-a1b2c3", null)]
    [InlineData("STARS-\u200ba1b2c3", null)]
    [InlineData("STARS-ⅰ1b2c3", null)]
    [InlineData("STARS-\u212Aa1b2c", null)]
    [InlineData("STARS-", null)]
    [InlineData("-a1b2c3", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Memos_match_trimmed_of_space_and_control_characters_with_ascii_case_only(string? comment, string? expected) =>
        Assert.Equal(expected, PaymentMemo.Normalize(comment));
}

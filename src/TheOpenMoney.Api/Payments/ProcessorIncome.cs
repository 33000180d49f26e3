namespace TheOpenMoney.Api.Payments;

/// <summary>
/// A processor row that could not be read as a deposit: its raw JSON (exact bytes), why, and what
/// could be read of it (tx_hash, amount) for operators, and the currency it was read in (asked for, or named by the
/// processor; null when that is what is wrong with it). Never applied; quarantined.
/// </summary>
public sealed record RejectedIncome(byte[] Raw, string Reason, string? TxHash, long? AmountNanoton, string? Currency = null);

/// <summary>
/// Reads one income object of the processor (a history row, the answer of
/// <c>GET /v1/deposit/income</c>) as attacker-controlled data: every field is checked on its own,
/// and a row that cannot be read faithfully is rejected (never guessed at), so one bad row never
/// fails the page it came in.
/// <list type="bullet">
/// <item><c>tx_hash</c>: 1–128 of <c>A-Z a-z 0-9 + / = _ -</c> (hex, base64 and base64url hashes);</item>
/// <item><c>deposit_address</c>: 1–64 printable ASCII characters (an unknown address is a valid
/// row: it is applied as <c>unmatched</c>);</item>
/// <item><c>amount</c>: a JSON string of 1–19 ASCII digits, > 0 and &lt; 2^63 (no sign, spaces,
/// exponent or hex);</item>
/// <item><c>time</c>: a JSON integer of unix seconds, from 0 up to a day ahead of our clock;</item>
/// <item><c>comment</c>: any text that decodes (an invalid escape such as a lone surrogate does
/// not); absent or empty means none. NUL and control characters are kept: they are handled where
/// the comment is stored and matched;</item>
/// <item><c>source_address</c>: informational; dropped when it is not 1–64 printable ASCII.</item>
/// </list>
/// </summary>
public static class ProcessorIncome
{
    public const int MaxTxHashLength = 128;
    public const int MaxAddressLength = 64;

    /// <summary>The longest comment kept; TON text comments are far shorter, anything longer is garbage.</summary>
    public const int MaxCommentLength = 16 * 1024;

    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromDays(1);

    /// <summary>
    /// The row as a deposit (<paramref name="deposit"/>), or why not (<paramref name="rejected"/>).
    /// <paramref name="userId"/> is the processor user_id the row was listed under (ours, not the row's).
    /// </summary>
    public static bool TryRead(JsonElement row, string userId, DateTimeOffset now, out IncomingDeposit deposit, out RejectedIncome rejected) =>
        TryRead(row, userId, Money.PaymentCurrencies.Ton, now, out deposit, out rejected);

    /// <summary>
    /// The row as a deposit in <paramref name="currency"/> (our code: the currency the history was asked for, or the one
    /// the processor's answer names), or why not.
    /// </summary>
    public static bool TryRead(JsonElement row, string userId, string currency, DateTimeOffset now, out IncomingDeposit deposit, out RejectedIncome rejected)
    {
        deposit = null!;
        rejected = null!;
        string? txHash = null;
        long? amount = null;
        string? problem;
        if (row.ValueKind != JsonValueKind.Object)
        {
            problem = "row is not a JSON object";
        }
        else
        {
            txHash = ReadString(row, "tx_hash", out var txError);
            if (txHash is not null && !IsPlausibleTxHash(txHash))
            {
                txHash = null;
                txError = "tx_hash is not 1-128 of A-Z a-z 0-9 + / = _ -";
            }

            amount = ReadAmount(row, out var amountError);
            var address = ReadString(row, "deposit_address", out var addressError);
            if (address is not null && !IsPrintableAscii(address, MaxAddressLength))
            {
                addressError = "deposit_address is not 1-64 printable ASCII characters";
            }

            var time = ReadTime(row, now, out var timeError);
            var comment = ReadComment(row, out var commentError);
            problem = txError ?? addressError ?? amountError ?? timeError ?? commentError;
            if (problem is null)
            {
                var source = ReadString(row, "source_address", out _);
                deposit = new IncomingDeposit(
                    txHash!,
                    userId,
                    address!,
                    source is not null && IsPrintableAscii(source, MaxAddressLength) ? source : null,
                    amount!.Value,
                    comment,
                    time!.Value,
                    currency);
                return true;
            }
        }

        rejected = new RejectedIncome(Encoding.UTF8.GetBytes(row.GetRawText()), problem, txHash, amount, currency);
        return false;
    }

    /// <summary>What a tx_hash can look like (also the rule for the one field a webhook body is trusted for).</summary>
    public static bool IsPlausibleTxHash(string? value)
    {
        if (value is null || value.Length is 0 or > MaxTxHashLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '/' or '=' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPrintableAscii(string value, int maxLength)
    {
        if (value.Length == 0 || value.Length > maxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A required string property; null with <paramref name="error"/> when absent, not a string or undecodable.</summary>
    private static string? ReadString(JsonElement row, string name, out string? error)
    {
        error = null;
        if (!row.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            error = $"{name} is missing";
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error = $"{name} is not a string";
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            error = $"{name} is not valid text (invalid escape)";
            return null;
        }
    }

    private static long? ReadAmount(JsonElement row, out string? error)
    {
        var text = ReadString(row, "amount", out error);
        if (text is null)
        {
            return null;
        }

        if (text.Length is 0 or > 19 || !text.All(char.IsAsciiDigit)
            || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            error = "amount is not a string of nanoTON digits below 2^63";
            return null;
        }

        if (amount <= 0)
        {
            error = "amount is not positive";
            return null;
        }

        return amount;
    }

    private static DateTimeOffset? ReadTime(JsonElement row, DateTimeOffset now, out string? error)
    {
        error = null;
        if (!row.TryGetProperty("time", out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var seconds))
        {
            error = "time is not an integer of unix seconds";
            return null;
        }

        if (seconds < 0 || seconds > (now + MaxClockSkew).ToUnixTimeSeconds())
        {
            error = "time is out of range";
            return null;
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    private static string? ReadComment(JsonElement row, out string? error)
    {
        error = null;
        if (!row.TryGetProperty("comment", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var comment = ReadString(row, "comment", out error);
        if (comment is not null && comment.Length > MaxCommentLength)
        {
            error = $"comment is longer than {MaxCommentLength} characters";
            return null;
        }

        return string.IsNullOrEmpty(comment) ? null : comment;
    }
}

namespace TheOpenMoney.Api.Ton;

/// <summary>
/// How to pay an order from a wallet: a <c>ton://transfer</c> link (for a QR code or a tap) and the same
/// transfer as a TON Connect <c>sendTransaction</c> request. Serialised with the API's snake_case
/// naming policy, the request is
/// <c>{"valid_until": 1767225600, "messages": [{"address": "UQ…", "amount": "1500000000", "payload": "te6cck…"}]}</c>.
/// </summary>
/// <param name="Link"><c>ton://transfer/&lt;address&gt;?amount=&lt;nanoTON&gt;&amp;text=&lt;memo&gt;</c>.</param>
/// <param name="Request">The TON Connect request.</param>
public sealed record PaymentInstruction(string Link, PaymentRequest? Request)
{
    /// <summary>
    /// A jetton transfer of <paramref name="unitsDue"/> base units of <paramref name="jettonMaster"/> to
    /// <paramref name="address"/> (the owner; the payer's wallet finds both jetton wallets) with <paramref name="memo"/> as
    /// the comment: <c>ton://transfer/&lt;address&gt;?jetton=&lt;master&gt;&amp;amount=&lt;units&gt;&amp;text=&lt;memo&gt;</c>.
    /// No TON Connect request: its message goes to the payer's own jetton wallet, which only the payer's wallet knows.
    /// </summary>
    public static PaymentInstruction ForJetton(string address, string jettonMaster, long unitsDue, string memo)
    {
        Validate(address, unitsDue, memo);
        if (!TonAddress.IsValid(jettonMaster))
        {
            throw new ArgumentException("not a valid user-friendly TON address", nameof(jettonMaster));
        }

        return new PaymentInstruction(
            string.Create(CultureInfo.InvariantCulture, $"ton://transfer/{address}?jetton={jettonMaster}&amount={unitsDue}&text={Uri.EscapeDataString(memo)}"),
            null);
    }

    /// <summary>
    /// The link and the request for sending <paramref name="nanotonDue"/> to <paramref name="address"/>
    /// with <paramref name="memo"/> as the comment, the request valid until <paramref name="expiresAt"/>.
    /// Whether an order needs instructions at all (nothing due, not payable) is the caller's decision;
    /// this only rejects arguments that would make a wrong transfer.
    /// </summary>
    /// <param name="address">A user-friendly TON address (checked: flags, workchain, checksum); used as given.</param>
    /// <param name="nanotonDue">nanoTON to send, &gt; 0.</param>
    /// <param name="memo">The transfer comment, not empty.</param>
    /// <param name="expiresAt">Becomes <c>valid_until</c>, in whole unix seconds (rounded down).</param>
    public static PaymentInstruction For(string address, long nanotonDue, string memo, DateTimeOffset expiresAt)
    {
        Validate(address, nanotonDue, memo);
        var message = new PaymentRequestMessage(address, nanotonDue.ToString(CultureInfo.InvariantCulture), TonComment.ToBocBase64(memo));
        return new PaymentInstruction(BuildLink(address, nanotonDue, memo), new PaymentRequest(expiresAt.ToUnixTimeSeconds(), [message]));
    }

    /// <summary>
    /// <c>ton://transfer/&lt;address&gt;?amount=&lt;nanoTON&gt;&amp;text=&lt;memo&gt;</c>. The memo is
    /// percent-encoded with <see cref="Uri.EscapeDataString(string)"/>: its UTF-8 bytes, every byte
    /// except the RFC 3986 unreserved characters (<c>A–Z a–z 0–9 - . _ ~</c>) as <c>%XX</c> in upper-case
    /// hex, so a space is <c>%20</c> (never <c>+</c>), <c>&amp;</c> is <c>%26</c>, <c>+</c> is <c>%2B</c>.
    /// The address (base64url: letters, digits, <c>-</c>, <c>_</c>) and the amount need no encoding.
    /// </summary>
    public static string LinkFor(string address, long nanotonDue, string memo)
    {
        Validate(address, nanotonDue, memo);
        return BuildLink(address, nanotonDue, memo);
    }

    private static string BuildLink(string address, long nanotonDue, string memo) =>
        string.Create(CultureInfo.InvariantCulture, $"ton://transfer/{address}?amount={nanotonDue}&text={Uri.EscapeDataString(memo)}");

    private static void Validate(string address, long nanotonDue, string memo)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        if (!TonAddress.IsValid(address))
        {
            throw new ArgumentException("not a valid user-friendly TON address", nameof(address));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nanotonDue);
        ArgumentException.ThrowIfNullOrEmpty(memo);
    }
}

/// <summary>A TON Connect <c>sendTransaction</c> request.</summary>
/// <param name="ValidUntil">Unix time in seconds after which the wallet must not send it.</param>
/// <param name="Messages">The transfers: here always one.</param>
public sealed record PaymentRequest(long ValidUntil, IReadOnlyList<PaymentRequestMessage> Messages);

/// <summary>One transfer of a TON Connect request.</summary>
/// <param name="Address">Destination.</param>
/// <param name="Amount">nanoTON, as a decimal string (TON Connect's format).</param>
/// <param name="Payload">The message body, a base64 bag of cells: here the text comment.</param>
public sealed record PaymentRequestMessage(string Address, string Amount, string Payload);

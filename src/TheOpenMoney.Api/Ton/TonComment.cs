namespace TheOpenMoney.Api.Ton;

/// <summary>
/// A TON text comment, the message body wallets show as the transfer's comment: op = 0 in 32 bits,
/// then the text's UTF-8 bytes as a snake. The same cell as @ton/core's
/// <c>beginCell().storeUint(0, 32).storeStringTail(text).endCell()</c>: the root holds 123 bytes of
/// text, each further cell 127.
/// </summary>
public static class TonComment
{
    public static TonCell Cell(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TonCell.Begin().StoreUint(0, 32).StoreStringTail(text).EndCell();
    }

    /// <summary>The comment cell as a standard bag of cells (no index, CRC-32C), in base64 with padding.</summary>
    public static string ToBocBase64(string text) => BagOfCells.SerializeToBase64(Cell(text));
}

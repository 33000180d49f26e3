namespace TheOpenMoney.Api.Ton;

/// <summary>Writes bits and references into a new <see cref="TonCell"/>, as @ton/core's <c>Builder</c>.</summary>
public sealed class TonCellBuilder
{
    private readonly byte[] _data = new byte[(TonCell.MaxBits + 7) / 8];
    private readonly List<TonCell> _refs = new(TonCell.MaxRefs);
    private int _bits;

    /// <summary>Data bits still free in this cell.</summary>
    public int AvailableBits => TonCell.MaxBits - _bits;

    /// <summary>References still free in this cell.</summary>
    public int AvailableRefs => TonCell.MaxRefs - _refs.Count;

    public TonCellBuilder StoreBit(bool bit)
    {
        if (AvailableBits < 1)
        {
            throw new InvalidOperationException("the cell has no room for another bit");
        }

        if (bit)
        {
            _data[_bits / 8] |= (byte)(0x80 >> (_bits % 8));
        }

        _bits++;
        return this;
    }

    /// <summary>An unsigned integer in <paramref name="bits"/> bits (0–64), most significant bit first.</summary>
    public TonCellBuilder StoreUint(ulong value, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 64);
        if (bits < 64 && value >> bits != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"does not fit in {bits} bits");
        }

        EnsureBits(bits);
        for (var i = bits - 1; i >= 0; i--)
        {
            StoreBit(((value >> i) & 1) != 0);
        }

        return this;
    }

    /// <summary>Whole bytes, at the current bit position (not necessarily byte-aligned).</summary>
    public TonCellBuilder StoreBytes(ReadOnlySpan<byte> bytes)
    {
        EnsureBits(bytes.Length * 8);
        if (_bits % 8 == 0)
        {
            bytes.CopyTo(_data.AsSpan(_bits / 8));
            _bits += bytes.Length * 8;
            return this;
        }

        foreach (var b in bytes)
        {
            StoreUint(b, 8);
        }

        return this;
    }

    public TonCellBuilder StoreRef(TonCell cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        if (AvailableRefs < 1)
        {
            throw new InvalidOperationException($"a cell holds at most {TonCell.MaxRefs} references");
        }

        _refs.Add(cell);
        return this;
    }

    /// <summary>
    /// The string's UTF-8 bytes as a "snake": as many whole bytes as fit in this cell's free bits, the
    /// rest in a new cell referenced from this one, which in turn holds up to 127 bytes and references
    /// the next, and so on. Byte-wise, exactly as @ton/core's <c>storeStringTail</c> (its
    /// <c>writeBuffer</c> in <c>boc/utils/strings.ts</c>): a multi-byte character can be cut across two
    /// cells. Lone UTF-16 surrogates become U+FFFD (EF BF BD), as with Node's <c>Buffer.from</c>.
    /// </summary>
    public TonCellBuilder StoreStringTail(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return StoreBytesTail(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Bytes as a snake (see <see cref="StoreStringTail"/>).</summary>
    public TonCellBuilder StoreBytesTail(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return this;
        }

        var here = AvailableBits / 8;
        if (bytes.Length <= here)
        {
            return StoreBytes(bytes);
        }

        if (AvailableRefs < 1)
        {
            throw new InvalidOperationException("the cell has no free reference for the rest of the string");
        }

        // The children hold 127 bytes each, the last one the remainder; built from the end of the chain
        // (children first, since a cell is made from finished children) and without recursion.
        const int perChild = TonCell.MaxBits / 8;
        var rest = bytes[here..];
        var childCount = (rest.Length + perChild - 1) / perChild;
        TonCell? next = null;
        for (var i = childCount - 1; i >= 0; i--)
        {
            var start = i * perChild;
            var chunk = rest.Slice(start, Math.Min(perChild, rest.Length - start));
            var child = new TonCellBuilder().StoreBytes(chunk);
            if (next is not null)
            {
                child.StoreRef(next);
            }

            next = child.EndCell();
        }

        StoreBytes(bytes[..here]);
        return StoreRef(next!);
    }

    public TonCell EndCell() => new(_data, _bits, _refs);

    private void EnsureBits(int bits)
    {
        if (bits > AvailableBits)
        {
            throw new InvalidOperationException($"the cell has room for {AvailableBits} more bits, not {bits}");
        }
    }
}

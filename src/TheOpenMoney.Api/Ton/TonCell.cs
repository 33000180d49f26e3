using System.Security.Cryptography;

namespace TheOpenMoney.Api.Ton;

/// <summary>
/// An ordinary TON cell (not exotic, level 0): up to 1023 data bits and up to 4 references to other
/// cells. Immutable; its representation hash and depth are computed once, at construction, from the
/// children's, as TON (and @ton/core) define them. Two cells are equal when their hashes are.
/// </summary>
public sealed class TonCell : IEquatable<TonCell>
{
    /// <summary>Data bits a cell can hold.</summary>
    public const int MaxBits = 1023;

    /// <summary>References a cell can hold.</summary>
    public const int MaxRefs = 4;

    /// <summary>The deepest tree TON accepts (<c>max_depth</c> in the TON node): a leaf has depth 0.</summary>
    public const int MaxDepth = 1024;

    private readonly byte[] _paddedData;
    private readonly TonCell[] _refs;
    private byte[]? _hash;

    /// <param name="data">The bits, most significant bit of byte 0 first; bits past <paramref name="bitLength"/> are ignored.</param>
    /// <param name="bitLength">How many bits of <paramref name="data"/> the cell holds (0–1023).</param>
    /// <param name="refs">Children, in order (0–4).</param>
    public TonCell(ReadOnlySpan<byte> data, int bitLength, IReadOnlyList<TonCell> refs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bitLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bitLength, MaxBits);
        ArgumentOutOfRangeException.ThrowIfLessThan(data.Length * 8, bitLength, nameof(data));
        ArgumentNullException.ThrowIfNull(refs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(refs.Count, MaxRefs, nameof(refs));

        BitLength = bitLength;
        _refs = [.. refs];
        foreach (var child in _refs)
        {
            ArgumentNullException.ThrowIfNull(child, nameof(refs));
        }

        // The data as serialised: whole bytes, and when the bit length is not a multiple of 8 the
        // completion tag, a single 1 bit right after the data, then zeros up to the byte boundary.
        _paddedData = new byte[(bitLength + 7) / 8];
        data[.._paddedData.Length].CopyTo(_paddedData);
        var tail = bitLength % 8;
        if (tail != 0)
        {
            var last = _paddedData.Length - 1;
            var keep = (byte)(0xFF << (8 - tail));
            _paddedData[last] = (byte)((_paddedData[last] & keep) | (0x80 >> tail));
        }

        Depth = _refs.Length == 0 ? 0 : _refs.Max(r => r.Depth) + 1;
        if (Depth > MaxDepth)
        {
            throw new ArgumentException($"a cell tree deeper than {MaxDepth} is not valid in TON", nameof(refs));
        }
    }

    /// <summary>How many data bits the cell holds.</summary>
    public int BitLength { get; }

    /// <summary>The children, in order.</summary>
    public IReadOnlyList<TonCell> Refs => _refs;

    /// <summary>0 for a cell without children, else one more than the deepest child.</summary>
    public int Depth { get; }

    /// <summary>The representation hash: SHA-256 of the descriptors, the padded data, then each child's depth and hash.</summary>
    public ReadOnlySpan<byte> Hash => HashBytes;

    /// <summary>
    /// Computed on first use (a cell is immutable, so a race computes the same bytes twice at worst): serialising a
    /// tree of one cell, e.g. an order's comment on every order read, never needs it (a SHA-256 through OpenSSL cost
    /// a tenth of a list request's CPU).
    /// </summary>
    private byte[] HashBytes => _hash ??= ComputeHash();

    /// <summary>The data bytes as serialised (with the completion tag when the bits do not fill the last byte).</summary>
    internal ReadOnlySpan<byte> PaddedData => _paddedData;

    /// <summary>First descriptor byte: references count + 8 × exotic + 32 × level mask (an ordinary level-0 cell: just the count).</summary>
    internal byte RefsDescriptor => (byte)_refs.Length;

    /// <summary>Second descriptor byte: ⌈bits / 8⌉ + ⌊bits / 8⌋ (odd exactly when the data carries a completion tag).</summary>
    internal byte BitsDescriptor => (byte)(((BitLength + 7) / 8) + (BitLength / 8));

    /// <summary>An empty builder, as @ton/core's <c>beginCell()</c>.</summary>
    public static TonCellBuilder Begin() => new();

    public bool Equals(TonCell? other) => other is not null && HashBytes.AsSpan().SequenceEqual(other.HashBytes);

    public override bool Equals(object? obj) => obj is TonCell other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(HashBytes, 0);

    public override string ToString() => $"x{{{Convert.ToHexString(_paddedData)}}} ({BitLength} bits, {_refs.Length} refs)";

    private byte[] ComputeHash()
    {
        var repr = new byte[2 + _paddedData.Length + (_refs.Length * (2 + 32))];
        repr[0] = RefsDescriptor;
        repr[1] = BitsDescriptor;
        _paddedData.CopyTo(repr, 2);
        var at = 2 + _paddedData.Length;
        foreach (var child in _refs)
        {
            repr[at++] = (byte)(child.Depth >> 8);
            repr[at++] = (byte)child.Depth;
        }

        foreach (var child in _refs)
        {
            child.HashBytes.CopyTo(repr, at);
            at += 32;
        }

        return SHA256.HashData(repr);
    }
}

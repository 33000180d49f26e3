using System.Numerics;

namespace TheOpenMoney.Api.Ton;

/// <summary>
/// The standard bag-of-cells serialisation (TL-B <c>serialized_boc#b5ee9c72</c>) of one root cell,
/// byte for byte as @ton/core's <c>cell.toBoc()</c> (checked against its 0.63.1 output in the tests):
/// <code>
/// b5ee9c72                magic
/// 1 byte                  has_idx(1) has_crc32c(1) has_cache_bits(1)=0 flags(2)=0 size_bytes(3)
/// 1 byte                  offset_bytes
/// size_bytes × 3          cell count, root count (1), absent count (0)
/// offset_bytes            total size of the serialised cells
/// size_bytes              index of the root (0)
/// offset_bytes × count    only with an index: each cell's end offset
/// cells                   d1 d2 data(⌈bits/8⌉ bytes, completion-tagged) ref-index × size_bytes
/// 4 bytes                 only with a checksum: CRC-32C of everything before, little-endian
/// </code>
/// size_bytes and offset_bytes are the fewest whole bytes (at least 1) that hold the cell count and
/// the total cell size. Identical subtrees (same hash) are written once. The cells are in @ton/core's
/// topological order: the root first and every cell before the cells it references.
/// </summary>
public static class BagOfCells
{
    private const uint Magic = 0xb5ee9c72;

    /// <summary>
    /// Serialises <paramref name="root"/>. The defaults are @ton/core's <c>toBoc()</c> defaults:
    /// no index, with the CRC-32C checksum.
    /// </summary>
    public static byte[] Serialize(TonCell root, bool withIndex = false, bool withCrc32C = true)
    {
        ArgumentNullException.ThrowIfNull(root);
        var cells = TopologicalOrder(root);
        var indexOf = new Dictionary<TonCell, int>(cells.Count);
        for (var i = 0; cells.Count > 1 && i < cells.Count; i++)
        {
            indexOf[cells[i]] = i;
        }

        var sizeBytes = BytesFor(cells.Count);
        var ends = new long[cells.Count];
        long totalCellSize = 0;
        for (var i = 0; i < cells.Count; i++)
        {
            totalCellSize += 2 + cells[i].PaddedData.Length + (cells[i].Refs.Count * sizeBytes);
            ends[i] = totalCellSize;
        }

        var offsetBytes = BytesFor(totalCellSize);
        var length = 4 + 1 + 1 + (3 * sizeBytes) + offsetBytes + sizeBytes
            + (withIndex ? cells.Count * offsetBytes : 0) + totalCellSize + (withCrc32C ? 4 : 0);
        var output = new byte[length];
        var at = 0;

        WriteBigEndian(output, ref at, Magic, 4);
        output[at++] = (byte)((withIndex ? 0x80 : 0) | (withCrc32C ? 0x40 : 0) | sizeBytes);
        output[at++] = (byte)offsetBytes;
        WriteBigEndian(output, ref at, (ulong)cells.Count, sizeBytes);
        WriteBigEndian(output, ref at, 1, sizeBytes);
        WriteBigEndian(output, ref at, 0, sizeBytes);
        WriteBigEndian(output, ref at, (ulong)totalCellSize, offsetBytes);
        WriteBigEndian(output, ref at, 0, sizeBytes);
        if (withIndex)
        {
            foreach (var end in ends)
            {
                WriteBigEndian(output, ref at, (ulong)end, offsetBytes);
            }
        }

        foreach (var cell in cells)
        {
            output[at++] = cell.RefsDescriptor;
            output[at++] = cell.BitsDescriptor;
            cell.PaddedData.CopyTo(output.AsSpan(at));
            at += cell.PaddedData.Length;
            foreach (var child in cell.Refs)
            {
                WriteBigEndian(output, ref at, (ulong)indexOf[child], sizeBytes);
            }
        }

        if (withCrc32C)
        {
            var crc = Crc32C(output.AsSpan(0, at));
            output[at++] = (byte)crc;
            output[at++] = (byte)(crc >> 8);
            output[at++] = (byte)(crc >> 16);
            output[at++] = (byte)(crc >> 24);
        }

        return at == output.Length ? output : throw new InvalidOperationException("bag-of-cells length mismatch");
    }

    /// <summary><see cref="Serialize"/> as standard base64 with padding (as <c>toBoc().toString('base64')</c>).</summary>
    public static string SerializeToBase64(TonCell root, bool withIndex = false, bool withCrc32C = true) =>
        Convert.ToBase64String(Serialize(root, withIndex, withCrc32C));

    /// <summary>
    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF),
    /// with the CPU's CRC32C instruction where there is one (<see cref="BitOperations.Crc32C(uint, byte)"/>).
    /// </summary>
    internal static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }

    /// <summary>
    /// The cells, each once, in @ton/core's order (<c>topologicalSort</c> in <c>boc/cell/utils</c>):
    /// a depth-first search from the root that enters children last to first, each cell recorded after
    /// its children (post-order), and the record reversed. The root comes first; a cell shared by
    /// several parents comes after all of them. @ton/core first gathers the cells breadth-first, but
    /// every cell is reachable from the root, where its search starts, so that gathering does not
    /// change the order. Iterative, so a long snake does not deepen the call stack.
    /// </summary>
    internal static List<TonCell> TopologicalOrder(TonCell root)
    {
        if (root.Refs.Count == 0)
        {
            // One cell: nothing to share or order, so no cell hash is computed.
            return [root];
        }

        var done = new HashSet<TonCell>();
        var postOrder = new List<TonCell>();
        var stack = new Stack<(TonCell Cell, int NextChild)>();
        stack.Push((root, root.Refs.Count - 1));
        while (stack.Count > 0)
        {
            var (cell, next) = stack.Pop();
            if (next < 0)
            {
                done.Add(cell);
                postOrder.Add(cell);
                continue;
            }

            stack.Push((cell, next - 1));
            var child = cell.Refs[next];
            if (!done.Contains(child))
            {
                stack.Push((child, child.Refs.Count - 1));
            }
        }

        postOrder.Reverse();
        return postOrder;
    }

    private static int BytesFor(long value) => Math.Max((64 - BitOperations.LeadingZeroCount((ulong)value) + 7) / 8, 1);

    private static void WriteBigEndian(byte[] output, ref int at, ulong value, int bytes)
    {
        for (var i = bytes - 1; i >= 0; i--)
        {
            output[at++] = (byte)(value >> (8 * i));
        }
    }
}

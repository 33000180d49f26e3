using TheOpenMoney.Api.Ton;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using TheOpenMoney.Api.Infrastructure.Json;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;
using ApiTonAddress = TheOpenMoney.Api.Ton.TonAddress;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// The payment instructions of an order: the TON text-comment cell and its bag of cells (checked byte
/// for byte against vectors that @ton/core 0.63.1 computed, see Vectors/make-ton-comment-vectors.mjs),
/// the <c>ton://transfer</c> link, the TON Connect request, and the QR codes (decoded back with ZXing).
/// </summary>
public sealed partial class PaymentInstructionTests
{
    // 0:abab…ab as a non-bounceable mainnet address (from @ton/core's Address.toString({ bounceable: false })).
    private const string Address = "UQCrq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq5jh";

    // beginCell().storeUint(0, 32).storeStringTail("STARS-a1b2c3").endCell().toBoc().toString('base64'), @ton/core 0.63.1.
    private const string StarsPayload = "te6cckEBAQEAEgAAIAAAAABTVEFSUy1hMWIyYzNkFDEf";

    private static readonly JsonSerializerOptions s_vectorJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private static readonly Lazy<CommentVector[]> s_commentVectors = new(() => LoadVectors<CommentVector>("ton-comment-boc.json"));
    private static readonly Lazy<CellVector[]> s_cellVectors = new(() => LoadVectors<CellVector>("ton-cell-boc.json"));

    public static TheoryData<int, string> CommentVectorIndexes()
    {
        var data = new TheoryData<int, string>();
        var vectors = s_commentVectors.Value;
        for (var i = 0; i < vectors.Length; i++)
        {
            data.Add(i, Label(vectors[i].Memo));
        }

        return data;
    }

    public static TheoryData<string> CellVectorNames()
    {
        var data = new TheoryData<string>();
        foreach (var vector in s_cellVectors.Value)
        {
            data.Add(vector.Name);
        }

        return data;
    }

    // --- the comment cell and its bag of cells ---

    [Fact]
    public void The_vector_files_hold_every_case_the_script_writes()
    {
        Assert.Equal(22, s_commentVectors.Value.Length);
        Assert.Equal(24, s_cellVectors.Value.Length);
        Assert.Contains(s_commentVectors.Value, v => Encoding.UTF8.GetByteCount(v.Memo) == 70_000);
    }

    [Theory]
    [MemberData(nameof(CommentVectorIndexes))]
    public void Comment_bag_of_cells_matches_ton_core_byte_for_byte(int index, string label)
    {
        var vector = s_commentVectors.Value[index];

        var actual = TonComment.ToBocBase64(vector.Memo);

        Assert.True(vector.BocBase64 == actual, $"{label}: expected {Head(vector.BocBase64)}, got {Head(actual)}");
    }

    [Theory]
    [MemberData(nameof(CellVectorNames))]
    public void Cell_trees_serialise_and_hash_as_ton_core(string name)
    {
        var vector = s_cellVectors.Value.Single(v => v.Name == name);
        var (tree, withIndex, withCrc) = name switch
        {
            _ when name.EndsWith("+idx", StringComparison.Ordinal) => (name[..^4], true, true),
            _ when name.EndsWith("-crc32", StringComparison.Ordinal) => (name[..^6], false, false),
            _ => (name, false, true),
        };
        var root = Tree(tree);

        Assert.Equal(vector.BocBase64, BagOfCells.SerializeToBase64(root, withIndex, withCrc));
        if (vector.HashHex is not null)
        {
            Assert.Equal(vector.HashHex, Convert.ToHexStringLower(root.Hash));
        }
    }

    [Fact]
    public void The_root_holds_123_bytes_of_text_and_each_further_cell_127()
    {
        var cell = TonComment.Cell(new string('x', 123 + 127 + 1));

        Assert.Equal(32 + (123 * 8), cell.BitLength);
        var child = Assert.Single(cell.Refs);
        Assert.Equal(127 * 8, child.BitLength);
        var last = Assert.Single(child.Refs);
        Assert.Equal(8, last.BitLength);
        Assert.Empty(last.Refs);
        Assert.Equal(2, cell.Depth);
    }

    [Fact]
    public void A_multi_byte_character_is_cut_between_cells_as_ton_core_cuts_it()
    {
        var cell = TonComment.Cell(new string('x', 121) + "\U0001F600"); // F0 9F 98 80

        Assert.Equal("F09F", Convert.ToHexString(cell.PaddedData[^2..]));
        Assert.Equal("9880", Convert.ToHexString(Assert.Single(cell.Refs).PaddedData));
    }

    [Fact]
    public void A_lone_surrogate_is_written_as_U_FFFD_like_nodes_Buffer_from()
    {
        Assert.Equal(TonComment.ToBocBase64("a\uFFFDb"), TonComment.ToBocBase64("a\uD800b"));
    }

    [Fact]
    public void Identical_subtrees_are_written_once_and_the_root_comes_first()
    {
        var root = TonCell.Begin().StoreRef(Leaf(5, 3)).StoreRef(Leaf(5, 3)).EndCell();

        var boc = BagOfCells.Serialize(root, withCrc32C: false);

        // b5ee9c72, flags 0x01 (size 1), offset bytes 1, 2 cells, 1 root, 0 absent, 7 bytes of cells, root 0,
        // root: d1 = 2 refs, d2 = 0 bits, refs 1 1; child: d1 0, d2 1 (3 bits), 101 + tag = 0b1011_0000.
        Assert.Equal("B5EE9C72" + "01" + "01" + "02" + "01" + "00" + "07" + "00" + "02000101" + "0001B0", Convert.ToHexString(boc));
    }

    [Fact]
    public void Crc32C_is_Castagnoli()
    {
        Assert.Equal(0xE3069283u, BagOfCells.Crc32C("123456789"u8));
        Assert.Equal(0u, BagOfCells.Crc32C([]));
    }

    [Fact]
    public void A_snake_deeper_than_TON_allows_is_refused()
    {
        // The root holds 123 bytes, each of 1024 children 127: depth 1024, the limit.
        var longest = new string('x', 123 + (127 * 1024));
        Assert.Equal(1024, TonComment.Cell(longest).Depth);

        Assert.Throws<ArgumentException>(() => TonComment.Cell(longest + "x"));
    }

    [Fact]
    public void The_builder_refuses_what_a_cell_cannot_hold()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TonCell.Begin().StoreUint(8, 3));
        Assert.Throws<InvalidOperationException>(() => TonCell.Begin().StoreBytes(new byte[128]));
        var full = TonCell.Begin();
        for (var i = 0; i < 4; i++)
        {
            full.StoreRef(Leaf(0, 0));
        }

        Assert.Throws<InvalidOperationException>(() => full.StoreRef(Leaf(0, 0)));
        Assert.Throws<InvalidOperationException>(() => full.StoreStringTail(new string('x', 200)));
        Assert.Equal(64, TonCell.Begin().StoreUint(ulong.MaxValue, 64).EndCell().BitLength);
    }

    // --- the link ---

    [Fact]
    public void The_link_carries_address_amount_in_nanoton_and_the_memo()
    {
        Assert.True(ApiTonAddress.IsValid(Address));

        var link = PaymentInstruction.LinkFor(Address, 1_500_000_000, "STARS-a1b2c3");

        Assert.Equal($"ton://transfer/{Address}?amount=1500000000&text=STARS-a1b2c3", link);
        Assert.Equal(
            $"ton://transfer/{Address}?amount=9223372036854775807&text=x",
            PaymentInstruction.LinkFor(Address, long.MaxValue, "x"));
    }

    [Theory]
    [InlineData("a b", "a%20b")]
    [InlineData("a&amount=1", "a%26amount%3D1")]
    [InlineData("1+1?#/%", "1%2B1%3F%23%2F%25")]
    [InlineData("-._~AZaz09", "-._~AZaz09")]
    [InlineData("é😀", "%C3%A9%F0%9F%98%80")]
    [InlineData("RTL\u202Eevil\u0000", "RTL%E2%80%AEevil%00")]
    public void The_memo_is_percent_encoded_as_Uri_EscapeDataString(string memo, string encoded)
    {
        var link = PaymentInstruction.LinkFor(Address, 1, memo);

        Assert.Equal($"ton://transfer/{Address}?amount=1&text={encoded}", link);
        Assert.Equal(memo, Uri.UnescapeDataString(link[(link.IndexOf("&text=", StringComparison.Ordinal) + 6)..]));
    }

    [Fact]
    public void Arguments_that_would_make_a_wrong_transfer_are_refused()
    {
        var at = DateTimeOffset.UnixEpoch;
        Assert.Throws<ArgumentNullException>(() => PaymentInstruction.For(null!, 1, "m", at));
        Assert.Throws<ArgumentException>(() => PaymentInstruction.For("", 1, "m", at));
        Assert.Throws<ArgumentException>(() => PaymentInstruction.For("EQ-not-an-address", 1, "m", at));
        Assert.Throws<ArgumentException>(() => PaymentInstruction.For(Address[..^1] + "A", 1, "m", at)); // checksum
        Assert.Throws<ArgumentOutOfRangeException>(() => PaymentInstruction.For(Address, 0, "m", at));
        Assert.Throws<ArgumentOutOfRangeException>(() => PaymentInstruction.For(Address, -5, "m", at));
        Assert.Throws<ArgumentNullException>(() => PaymentInstruction.For(Address, 1, null!, at));
        Assert.Throws<ArgumentException>(() => PaymentInstruction.For(Address, 1, "", at));
        Assert.Throws<ArgumentOutOfRangeException>(() => PaymentInstruction.LinkFor(Address, 0, "m"));
    }

    // --- the TON Connect request ---

    [Fact]
    public void The_TON_Connect_request_has_valid_until_in_seconds_and_the_amount_as_a_string()
    {
        var expiresAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, 999, TimeSpan.Zero);

        var instruction = PaymentInstruction.For(Address, 1_500_000_000, "STARS-a1b2c3", expiresAt);

        var json = JsonSerializer.Serialize(instruction.Request, JsonDefaults.Create());
        Assert.Equal(
            $$"""{"valid_until":1767225600,"messages":[{"address":"{{Address}}","amount":"1500000000","payload":"{{StarsPayload}}"}]}""",
            json);
        Assert.Equal(PaymentInstruction.LinkFor(Address, 1_500_000_000, "STARS-a1b2c3"), instruction.Link);
    }

    [Fact]
    public void The_request_payload_is_the_comment_bag_of_cells()
    {
        var vector = s_commentVectors.Value.First(v => v.Memo == "PREMIUM-zz9x0q");

        var instruction = PaymentInstruction.For(Address, 42, vector.Memo, DateTimeOffset.UnixEpoch.AddSeconds(10));

        var message = Assert.Single(instruction.Request!.Messages);
        Assert.Equal(vector.BocBase64, message.Payload);
        Assert.Equal("42", message.Amount);
        Assert.Equal(10, instruction.Request.ValidUntil);
    }

    // --- the QR codes ---

    [Theory]
    [InlineData("STARS-a1b2c3", 1_500_000_000)]
    [InlineData("PREMIUM-zz9x0q", 1)]
    [InlineData("a memo with spaces & symbols / é 😀, long enough to need a larger QR version: 0123456789abcdef", long.MaxValue)]
    public void The_PNG_decodes_back_to_the_link(string memo, long nanoton)
    {
        var link = PaymentInstruction.LinkFor(Address, nanoton, memo);

        var png = PaymentQr.Png(link);

        var (width, height, luminance) = PngDecoder.DecodeLuminance(png);
        Assert.Equal(width, height);
        Assert.Equal(0, width % PaymentQr.PixelsPerModule);
        var quietZone = 4 * PaymentQr.PixelsPerModule;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (x < quietZone || y < quietZone || x >= width - quietZone || y >= height - quietZone)
                {
                    Assert.True(luminance[(y * width) + x] == 255, $"quiet zone pixel ({x}, {y}) is not white");
                }
            }
        }

        Assert.Equal(link, DecodeQr(luminance, width, height));
    }

    [Theory]
    [InlineData("STARS-a1b2c3")]
    [InlineData("a memo with spaces & symbols / é 😀, long enough to need a larger QR version: 0123456789abcdef")]
    public void The_SVG_is_an_svg_document_that_decodes_back_to_the_link(string memo)
    {
        var link = PaymentInstruction.LinkFor(Address, 2_000_000_000, memo);

        var svg = PaymentQr.Svg(link);

        var document = XDocument.Parse(svg); // throws XmlException when not well-formed
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", document.Root!.Name);
        var viewBox = ((string?)document.Root.Attribute("viewBox"))!.Split(' ').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var modules = viewBox[2];
        Assert.Equal([0, 0, modules, modules], viewBox);
        Assert.Equal((modules * PaymentQr.PixelsPerModule).ToString(CultureInfo.InvariantCulture), (string?)document.Root.Attribute("width"));

        // QRCoder draws the dark modules as one path of horizontal runs, "M{x} {y}h{n}v1h-{n}z", in
        // viewBox units (one per module): paint them on white and scan the picture.
        const int scale = 4;
        var size = modules * scale;
        var luminance = Enumerable.Repeat((byte)255, size * size).ToArray();
        var path = (string)document.Root.Element(ns + "path")!.Attribute("d")!;
        var runs = RunPattern().Matches(path);
        Assert.Equal(path.Length, runs.Sum(r => r.Length));
        foreach (Match run in runs)
        {
            var (x, y, n) = (Number(run, 1), Number(run, 2), Number(run, 3));
            Assert.True(x >= 4 && y >= 4 && x + n <= modules - 4 && y < modules - 4, "a dark module in the quiet zone");
            for (var py = y * scale; py < (y + 1) * scale; py++)
            {
                Array.Fill(luminance, (byte)0, (py * size) + (x * scale), n * scale);
            }
        }

        Assert.Equal(link, DecodeQr(luminance, size, size));
        Assert.Throws<XmlException>(() => XDocument.Parse(svg[..^10]));
    }

    [Fact]
    public void Content_types_are_the_ones_the_route_serves()
    {
        Assert.Equal("image/svg+xml", PaymentQr.SvgContentType);
        Assert.Equal("image/png", PaymentQr.PngContentType);
        Assert.Throws<ArgumentException>(() => PaymentQr.Png(""));
    }

    // --- helpers ---

    internal static string DecodeQr(byte[] luminance, int width, int height)
    {
        var source = new RGBLuminanceSource(luminance, width, height, RGBLuminanceSource.BitmapFormat.Gray8);
        var result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)));
        Assert.NotNull(result);
        return result.Text;
    }

    private static int Number(Match match, int group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"M(\d+) (\d+)h(\d+)v1h-\3z")]
    private static partial Regex RunPattern();

    private static TonCell Leaf(ulong value, int bits) => TonCell.Begin().StoreUint(value, bits).EndCell();

    /// <summary>The trees of make-ton-comment-vectors.mjs --cells, each cell built afresh (sharing is found by hash, not by reference).</summary>
    private static TonCell Tree(string name)
    {
        TonCell Shared() => Leaf(0xabc, 12);
        TonCell C() => TonCell.Begin().StoreUint(7, 3).StoreRef(Shared()).EndCell();
        TonCell Bottom() => TonCell.Begin().StoreBytes("bottom"u8).EndCell();
        switch (name)
        {
            case "empty":
                return Leaf(0, 0);
            case "one-bit":
                return Leaf(1, 1);
            case "twelve-bits":
                return Shared();
            case "full-1023-bits":
                var full = TonCell.Begin();
                for (var i = 0; i < 1023; i++)
                {
                    full.StoreBit(i % 3 == 0);
                }

                return full.EndCell();
            case "four-refs-with-shared-grandchild":
                return TonCell.Begin().StoreUint(0x1f, 7).StoreRef(Leaf(1, 1)).StoreRef(Shared()).StoreRef(C()).StoreRef(Leaf(0xdeadbeef, 32)).EndCell();
            case "diamond":
                return TonCell.Begin()
                    .StoreRef(TonCell.Begin().StoreUint(1, 8).StoreRef(Bottom()).EndCell())
                    .StoreRef(TonCell.Begin().StoreUint(2, 8).StoreRef(Bottom()).EndCell())
                    .EndCell();
            case "same-child-twice":
                return TonCell.Begin().StoreRef(Shared()).StoreRef(Shared()).EndCell();
            case "chain-of-six":
                var cell = Leaf(0, 0);
                for (var i = 0; i < 5; i++)
                {
                    cell = TonCell.Begin().StoreUint((ulong)i, 5).StoreRef(cell).EndCell();
                }

                return cell;
            default:
                throw new ArgumentException($"no tree named {name}", nameof(name));
        }
    }

    private static T[] LoadVectors<T>(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Payments", "Vectors", file);
        return JsonSerializer.Deserialize<T[]>(File.ReadAllText(path), s_vectorJson) ?? throw new InvalidDataException(path);
    }

    private static string Label(string memo)
    {
        var shown = memo.Length > 24 ? memo[..24] + "…" : memo;
        var escaped = string.Concat(shown.Select(c => char.IsControl(c) || c is '\u202E' or '\u202C' ? $"\\u{(int)c:X4}" : c.ToString()));
        return string.Create(CultureInfo.InvariantCulture, $"{Encoding.UTF8.GetByteCount(memo)} bytes: \"{escaped}\"");
    }

    private static string Head(string base64) => base64.Length > 80 ? base64[..80] + "…" : base64;

    private sealed record CommentVector(string Memo, string BocBase64);

    private sealed record CellVector(string Name, string? HashHex, string BocBase64);
}

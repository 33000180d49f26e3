using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Json;

namespace TheOpenMoney.Api.Orders;

/// <summary>
/// An order's JSON as the API answers it (an <see cref="OrderResponse"/> serialised as MVC's JSON formatter writes it), written into a
/// response as it is. Only <see cref="RenderedOrders"/> makes one.
/// </summary>
[JsonConverter(typeof(RenderedOrderConverter))]
public sealed class RenderedOrder
{
    internal RenderedOrder(byte[] utf8) => Utf8 = utf8;

    public ReadOnlyMemory<byte> Utf8 { get; }
}

/// <summary>
/// One rendered order as the whole answer: the success envelope around it, written straight to the response with its
/// length (no serialiser, no output formatter). The envelope's bytes are what <see cref="ApiResponse{T}"/> serialises
/// to around a value, taken once from the same formatter's options, so the answer is the formatter's byte for byte.
/// </summary>
public sealed class RenderedOrderResult(RenderedOrder order) : ActionResult
{
    private static readonly byte[] Marker = "\"\u0000rendered\u0000\""u8.ToArray();

    // A reference, so a request racing the first one sees either nothing or both parts (never a torn pair).
    private static EnvelopeParts? _envelope;

    public override async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (head, tail) = _envelope ??= Envelope(context.HttpContext.RequestServices.GetRequiredService<IOptions<MvcOptions>>().Value);
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = head.Length + order.Utf8.Length + tail.Length;
        var body = response.BodyWriter;
        body.Write(head);
        body.Write(order.Utf8.Span);
        body.Write(tail);
        await body.FlushAsync(context.HttpContext.RequestAborted);
    }

    private static EnvelopeParts Envelope(MvcOptions mvc)
    {
        var whole = JsonSerializer.SerializeToUtf8Bytes(ApiResponse.Of(new RenderedOrder(Marker)), BufferedJsonOutputFormatter.Of(mvc).SerializerOptions);
        var at = whole.AsSpan().IndexOf(Marker);
        return new EnvelopeParts(whole[..at], whole[(at + Marker.Length)..]);
    }

    private sealed record EnvelopeParts(byte[] Head, byte[] Tail);
}

/// <summary>Writes a <see cref="RenderedOrder"/> as the JSON value it already is; never read.</summary>
internal sealed class RenderedOrderConverter : JsonConverter<RenderedOrder>
{
    public override RenderedOrder Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("a rendered order is only written");

    public override void Write(Utf8JsonWriter writer, RenderedOrder value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteRawValue(value.Utf8.Span, skipInputValidation: true);
    }
}

/// <summary>
/// Orders rendered for the partner's reads, by row version: an answer is a function of its <c>orders</c> row alone, and
/// PostgreSQL gives every version of a row its own <c>xmin</c> (any update writes a new one), so a read that finds the
/// same id at the same <c>xmin</c> answers the JSON rendered for it before instead of materialising the row, building
/// the payment instruction and serialising again. Every read still asks the database for the row (scoped to the
/// partner), so nothing is ever stale and nothing needs telling when another instance changes an order. Bounded: past
/// <see cref="OrderOptions.RenderCacheSize"/> entries it starts afresh; 0 renders every read.
/// </summary>
public sealed class RenderedOrders(IOptions<MvcOptions> mvc, IOptions<OrderOptions> options)
{
    private readonly ConcurrentDictionary<long, Entry> _entries = new();

    private readonly Lazy<JsonSerializerOptions> _json = new(() => BufferedJsonOutputFormatter.Of(mvc.Value).SerializerOptions);

    public int Count => _entries.Count;

    /// <summary>False when <see cref="OrderOptions.RenderCacheSize"/> is 0: every read is rendered.</summary>
    public bool Enabled => options.Value.RenderCacheSize > 0;

    /// <summary>Whether this process has rendered the order at some version.</summary>
    public bool Has(long id) => _entries.ContainsKey(id);

    /// <summary>The order rendered at this version, if this process has it.</summary>
    public bool TryGet(long id, uint version, [NotNullWhen(true)] out RenderedOrder? order)
    {
        order = _entries.TryGetValue(id, out var cached) && cached.Version == version ? cached.Json : null;
        return order is not null;
    }

    /// <summary>
    /// The order in the reader's current row: its first columns are <see cref="OrderRows.Columns"/> (so the id is the first),
    /// its row version (<c>xmin</c>) is at <paramref name="versionOrdinal"/>.
    /// </summary>
    public RenderedOrder Render(NpgsqlDataReader reader, int versionOrdinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var id = reader.GetInt64(0);
        var version = reader.GetFieldValue<uint>(versionOrdinal);
        if (_entries.TryGetValue(id, out var cached) && cached.Version == version)
        {
            return cached.Json;
        }

        var rendered = new RenderedOrder(JsonSerializer.SerializeToUtf8Bytes(OrderRows.Read(reader).ToResponse(), _json.Value));
        var size = options.Value.RenderCacheSize;
        if (size > 0)
        {
            if (_entries.Count >= size)
            {
                _entries.Clear();
            }

            _entries[id] = new Entry(version, rendered);
        }

        return rendered;
    }

    private sealed record Entry(uint Version, RenderedOrder Json);
}

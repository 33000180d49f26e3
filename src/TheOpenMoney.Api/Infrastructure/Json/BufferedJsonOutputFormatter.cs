using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Formatters;

namespace TheOpenMoney.Api.Infrastructure.Json;

/// <summary>
/// MVC's JSON output, serialised into one buffer and sent with <c>Content-Length</c> rather than streamed in chunks:
/// every response body here is small and bounded (a page is at most 100 orders), so the partner gets its length up
/// front and the server one write instead of chunk framing and a resumable serialiser. It wraps MVC's own formatter
/// (same options, <see cref="JsonDefaults"/>, same media types), which still writes anything not UTF-8.
/// </summary>
public sealed class BufferedJsonOutputFormatter : TextOutputFormatter
{
    private readonly SystemTextJsonOutputFormatter _streaming;

    public BufferedJsonOutputFormatter(SystemTextJsonOutputFormatter streaming)
    {
        ArgumentNullException.ThrowIfNull(streaming);
        _streaming = streaming;
        foreach (var encoding in streaming.SupportedEncodings)
        {
            SupportedEncodings.Add(encoding);
        }

        foreach (var mediaType in streaming.SupportedMediaTypes)
        {
            SupportedMediaTypes.Add(mediaType);
        }
    }

    /// <summary>The options every JSON answer is written with: MVC's, with its encoder (which leaves <c>&amp;</c>, <c>+</c> and the like as they are).</summary>
    public JsonSerializerOptions SerializerOptions => _streaming.SerializerOptions;

    /// <summary>The formatter MVC writes JSON answers with, for JSON written ahead of an answer (so it is the same bytes).</summary>
    public static BufferedJsonOutputFormatter Of(MvcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.OutputFormatters.OfType<BufferedJsonOutputFormatter>().Single();
    }

    public override async Task WriteResponseBodyAsync(OutputFormatterWriteContext context, Encoding selectedEncoding)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(selectedEncoding);
        if (selectedEncoding.CodePage != Encoding.UTF8.CodePage)
        {
            await _streaming.WriteResponseBodyAsync(context, selectedEncoding);
            return;
        }

        var type = context.Object?.GetType() ?? context.ObjectType ?? typeof(object);
        var body = JsonSerializer.SerializeToUtf8Bytes(context.Object, type, _streaming.SerializerOptions);
        var response = context.HttpContext.Response;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.HttpContext.RequestAborted);
    }

    /// <summary>Replaces MVC's JSON output formatter with this one, keeping its options and its place in the list.</summary>
    internal sealed class Setup : IPostConfigureOptions<MvcOptions>
    {
        public void PostConfigure(string? name, MvcOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            var streaming = options.OutputFormatters.OfType<SystemTextJsonOutputFormatter>().Single();
            options.OutputFormatters[options.OutputFormatters.IndexOf(streaming)] = new BufferedJsonOutputFormatter(streaming);
        }
    }
}

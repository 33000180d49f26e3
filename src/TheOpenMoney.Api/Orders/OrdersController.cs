using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Auth;
using TheOpenMoney.Api.Infrastructure.Idempotency;
using TheOpenMoney.Api.Infrastructure.Paging;
using TheOpenMoney.Api.Infrastructure.RateLimiting;
using TheOpenMoney.Api.Pricing;
using TheOpenMoney.Api.Recipients;

namespace TheOpenMoney.Api.Orders;

/// <summary>Create, find and cancel orders.</summary>
[ApiController]
[Route("api/v1/orders")]
[Tags("Orders")]
[Produces("application/json")]
public sealed class OrdersController(OrderReads reads) : ControllerBase
{
    private const int MaxBodyBytes = 16 * 1024;

    /// <summary>Create a Stars order.</summary>
    /// <remarks>
    /// The recipient is checked first (422 <c>RECIPIENT_NOT_ELIGIBLE</c>, no order). With
    /// <c>ton_memo</c>, send <c>price_ton</c> to <c>payment_address</c> with <c>payment_memo</c> as the
    /// comment before <c>expires_at</c>. With <c>balance</c>, the price is debited at once and the
    /// order starts <c>paid</c> (409 <c>INSUFFICIENT_BALANCE</c> otherwise). Send an
    /// <c>Idempotency-Key</c> so a retry returns the same order.
    /// </remarks>
    /// <param name="request">The order.</param>
    /// <param name="orders">The order service (not a request parameter).</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost("stars", Name = "createStarsOrder")]
    [Consumes("application/json")]
    [Idempotent]
    [RequestSizeLimit(MaxBodyBytes)]
    [OrderCreationRateLimit]
    [Fails(StatusCodes.Status409Conflict, StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<ApiResponse<OrderResponse>>> CreateStars([FromBody] CreateStarsOrderRequest request, [FromServices] OrderService orders, CancellationToken cancellationToken)
    {
        var order = new NewOrder(
            OrderType.Stars,
            TelegramUsername.Normalize(request.RecipientUsername),
            request.Quantity,
            null,
            ParseMethod(request.PaymentMethod),
            request.ClientReference,
            request.PaymentCurrency ?? PaymentCurrencies.Ton);
        return Ok(ApiResponse.Of(await orders.CreateAsync(User.GetPartnerId(), User.IsLivemode(), order, cancellationToken)));
    }

    /// <summary>Create a Premium order (3 / 6 / 12 months).</summary>
    /// <remarks>Same rules as Stars orders, with <c>months</c> instead of <c>quantity</c>.</remarks>
    /// <param name="request">The order.</param>
    /// <param name="orders">The order service (not a request parameter).</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost("premium", Name = "createPremiumOrder")]
    [Consumes("application/json")]
    [Idempotent]
    [RequestSizeLimit(MaxBodyBytes)]
    [OrderCreationRateLimit]
    [Fails(StatusCodes.Status409Conflict, StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<ApiResponse<OrderResponse>>> CreatePremium([FromBody] CreatePremiumOrderRequest request, [FromServices] OrderService orders, CancellationToken cancellationToken)
    {
        var order = new NewOrder(
            OrderType.Premium,
            TelegramUsername.Normalize(request.RecipientUsername),
            null,
            request.Months,
            ParseMethod(request.PaymentMethod),
            request.ClientReference,
            request.PaymentCurrency ?? PaymentCurrencies.Ton);
        return Ok(ApiResponse.Of(await orders.CreateAsync(User.GetPartnerId(), User.IsLivemode(), order, cancellationToken)));
    }

    /// <summary>Get order by ID.</summary>
    [HttpGet("{id:long}", Name = "getOrder")]
    [Fails(StatusCodes.Status404NotFound)]
    public async Task<ActionResult<ApiResponse<OrderResponse>>> Get(long id, CancellationToken cancellationToken) =>
        new RenderedOrderResult(await reads.GetAsync(User.GetPartnerId(), id, cancellationToken));

    /// <summary>QR code of the order's payment link.</summary>
    /// <remarks>
    /// The <c>payment_link</c> (<c>ton://transfer/…</c> with the amount still due and the memo) as a QR
    /// code a wallet can scan: SVG by default, PNG with <c>format=png</c>. 409 <c>ORDER_NOT_PAYABLE</c>
    /// once the order no longer waits for a payment, or for a balance order.
    /// </remarks>
    /// <param name="id">Order id.</param>
    /// <param name="format"><c>svg</c> (default) or <c>png</c>.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpGet("{id:long}/payment-qr", Name = "getOrderPaymentQr")]
    [Produces(PaymentQr.SvgContentType, PaymentQr.PngContentType)]
    [ProducesResponseType<string>(StatusCodes.Status200OK, PaymentQr.SvgContentType, PaymentQr.PngContentType)]
    [ProducesResponseType<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json")]
    [ProducesResponseType<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json")]
    [ProducesResponseType<ErrorEnvelope>(StatusCodes.Status422UnprocessableEntity, "application/json")]
    public async Task<IActionResult> PaymentQrCode(long id, [FromQuery, TextValues("svg", "png", Name = "PaymentQrFormat")] string? format, CancellationToken cancellationToken)
    {
        var png = format switch
        {
            null or "svg" => false,
            "png" => true,
            _ => throw ApiException.Validation("format must be svg or png"),
        };
        var order = await reads.FindAsync(User.GetPartnerId(), id, cancellationToken);
        if (OrderMapping.PaymentInstructionFor(order) is not { } instruction)
        {
            throw ApiException.Conflict(ErrorCodes.OrderNotPayable, "the order does not wait for a payment in TON, so it has no payment link");
        }

        return png
            ? File(PaymentQr.Png(instruction.Link), PaymentQr.PngContentType)
            : Content(PaymentQr.Svg(instruction.Link), PaymentQr.SvgContentType, Encoding.UTF8);
    }

    /// <summary>List orders.</summary>
    /// <remarks>Newest first. Filters: <c>status</c>, <c>order_type</c>, <c>created_from</c>, <c>created_to</c>, <c>client_reference</c>.</remarks>
    [HttpGet(Name = "listOrders")]
    public async Task<ActionResult<ApiResponse<Page<OrderResponse>>>> List([FromQuery] ListOrdersQuery query, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await reads.ListAsync(User.GetPartnerId(), query, cancellationToken)));

    /// <summary>Find order by payment_memo.</summary>
    /// <remarks>Case and surrounding spaces are ignored, as when matching payments.</remarks>
    [HttpGet("by-memo/{memo}", Name = "getOrderByMemo")]
    [Fails(StatusCodes.Status404NotFound)]
    public async Task<ActionResult<ApiResponse<OrderResponse>>> ByMemo(string memo, CancellationToken cancellationToken) =>
        new RenderedOrderResult(await reads.GetByMemoAsync(User.GetPartnerId(), memo, cancellationToken));

    /// <summary>Find orders by your client_reference.</summary>
    /// <remarks>All matching orders, newest first, paged like <c>GET /orders</c>.</remarks>
    [HttpGet("by-reference/{ref}", Name = "listOrdersByReference")]
    public async Task<ActionResult<ApiResponse<Page<OrderResponse>>>> ByReference(
        [FromRoute(Name = "ref")] string reference,
        [FromQuery] PageQuery page,
        CancellationToken cancellationToken)
    {
        if (reference.Length > OrderRules.ClientReferenceMaxLength || reference.Any(char.IsControl))
        {
            throw ApiException.Validation("client_reference must be 1 to 128 characters without control characters");
        }

        var query = new ListOrdersQuery { ClientReference = reference, Limit = page.Limit, Offset = page.Offset };
        return Ok(ApiResponse.Of(await reads.ListAsync(User.GetPartnerId(), query, cancellationToken)));
    }

    /// <summary>Aggregate stats.</summary>
    /// <remarks>Over orders created in [<c>from</c>, <c>to</c>) when given, else all.</remarks>
    [HttpGet("stats/summary", Name = "getOrderStats")]
    public async Task<ActionResult<ApiResponse<OrderStatsResponse>>> Stats([FromQuery] StatsQuery query, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await reads.StatsAsync(User.GetPartnerId(), query, cancellationToken)));

    /// <summary>Cancel a pending_payment order.</summary>
    /// <remarks>A cancelled order cancels again with 200; any other state is 409 <c>ORDER_NOT_CANCELLABLE</c>.</remarks>
    /// <param name="id">Order id.</param>
    /// <param name="orders">The order service (not a request parameter).</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost("{id:long}/cancel", Name = "cancelOrder")]
    [Idempotent]
    [RequestSizeLimit(MaxBodyBytes)]
    [Fails(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)]
    public async Task<ActionResult<ApiResponse<OrderResponse>>> Cancel(long id, [FromServices] OrderService orders, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await orders.CancelAsync(User.GetPartnerId(), id, cancellationToken)));

    private static PaymentMethod ParseMethod(string? method) =>
        method is null ? PaymentMethod.TonMemo : EnumText<PaymentMethod>.Parse(method);
}

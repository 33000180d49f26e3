using TheOpenMoney.Api.Ton;
using System.Xml.Linq;
using TheOpenMoney.Tests.Payments;

namespace TheOpenMoney.Tests.Orders;

/// <summary>
/// Payment instructions on orders, over HTTP with the processor simulator: <c>payment_link</c> and
/// <c>payment_request</c> while a TON order waits (for what is still due), null otherwise, and the QR
/// code route (SVG and PNG decode back to the link; 404 for another partner's order; 409 when not payable).
/// </summary>
public sealed class PaymentInstructionsInOrdersTests(PaymentsFactory factory) : IClassFixture<PaymentsFactory>
{
    private static int s_nextUser = 85_000;

    private Task<PartnerApi> NewPartnerAsync() => PartnerApi.CreateAsync(factory, Interlocked.Increment(ref s_nextUser));

    private static async Task<JsonElement> OrderAsync(PartnerApi partner, long id) =>
        await (await partner.Client.GetAsync($"/api/v1/orders/{id}")).AssertOkAsync();

    [Fact]
    public async Task A_new_ton_memo_order_carries_the_link_and_the_ton_connect_request_for_its_whole_price()
    {
        var partner = await NewPartnerAsync();

        var order = await partner.CreatedStarsOrderAsync();

        var address = order.GetProperty("payment_address").GetString()!;
        var memo = order.GetProperty("payment_memo").GetString()!;
        Assert.Equal($"ton://transfer/{address}?amount=417000000&text={memo}", order.GetProperty("payment_link").GetString());
        var request = order.GetProperty("payment_request");
        Assert.Equal(order.GetProperty("expires_at").GetDateTimeOffset().ToUnixTimeSeconds(), request.GetProperty("valid_until").GetInt64());
        var message = Assert.Single(request.GetProperty("messages").EnumerateArray());
        Assert.Equal(address, message.GetProperty("address").GetString());
        Assert.Equal("417000000", message.GetProperty("amount").GetString());
        Assert.Equal(TonComment.ToBocBase64(memo), message.GetProperty("payload").GetString());
        // The same fields on every read.
        var read = await OrderAsync(partner, order.GetProperty("id").GetInt64());
        Assert.Equal(order.GetProperty("payment_link").GetString(), read.GetProperty("payment_link").GetString());
        Assert.Equal(message.GetProperty("payload").GetString(), read.GetProperty("payment_request").GetProperty("messages")[0].GetProperty("payload").GetString());
    }

    [Fact]
    public async Task After_a_partial_payment_the_link_asks_only_for_what_is_still_due()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        var memo = order.GetProperty("payment_memo").GetString()!;

        await factory.DepositAsync(0.3m, memo);
        await factory.PollAsync();

        var partlyPaid = await OrderAsync(partner, id);
        Assert.Equal("pending_payment", partlyPaid.GetProperty("status").GetString());
        Assert.Equal(0.3m, partlyPaid.GetProperty("paid_ton").GetDecimal());
        Assert.Contains("?amount=117000000&text=", partlyPaid.GetProperty("payment_link").GetString(), StringComparison.Ordinal);
        Assert.Equal("117000000", partlyPaid.GetProperty("payment_request").GetProperty("messages")[0].GetProperty("amount").GetString());

        await factory.DepositAsync(0.117m, memo);
        await factory.PollAsync();

        var paid = await OrderAsync(partner, id);
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, paid.GetProperty("payment_link").ValueKind);
        Assert.Equal(JsonValueKind.Null, paid.GetProperty("payment_request").ValueKind);
        await (await partner.Client.GetAsync($"/api/v1/orders/{id}/payment-qr")).AssertErrorAsync(409, ErrorCodes.OrderNotPayable);
    }

    [Fact]
    public async Task Balance_and_cancelled_orders_have_no_instructions_and_no_qr_code()
    {
        var partner = await NewPartnerAsync();
        await partner.CreditAsync(1m, "for a balance order");
        var balanceOrder = await partner.CreatedStarsOrderAsync(method: "balance");
        var cancelled = await partner.CreatedStarsOrderAsync();
        var cancelledId = cancelled.GetProperty("id").GetInt64();
        await (await partner.CancelAsync(cancelledId)).AssertOkAsync();

        Assert.Equal(JsonValueKind.Null, balanceOrder.GetProperty("payment_link").ValueKind);
        Assert.Equal(JsonValueKind.Null, balanceOrder.GetProperty("payment_request").ValueKind);
        var afterCancel = await OrderAsync(partner, cancelledId);
        Assert.Equal(JsonValueKind.Null, afterCancel.GetProperty("payment_link").ValueKind);
        await (await partner.Client.GetAsync($"/api/v1/orders/{balanceOrder.GetProperty("id").GetInt64()}/payment-qr")).AssertErrorAsync(409, ErrorCodes.OrderNotPayable);
        await (await partner.Client.GetAsync($"/api/v1/orders/{cancelledId}/payment-qr?format=png")).AssertErrorAsync(409, ErrorCodes.OrderNotPayable);
    }

    [Fact]
    public async Task The_qr_code_is_svg_by_default_png_on_request_and_both_decode_to_the_payment_link()
    {
        var partner = await NewPartnerAsync();
        var order = await partner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();
        var link = order.GetProperty("payment_link").GetString()!;

        var svgResponse = await partner.Client.GetAsync($"/api/v1/orders/{id}/payment-qr");
        Assert.Equal(HttpStatusCode.OK, svgResponse.StatusCode);
        Assert.Equal(PaymentQr.SvgContentType, svgResponse.Content.Headers.ContentType!.MediaType);
        var svg = await svgResponse.Content.ReadAsStringAsync();
        Assert.Equal(PaymentQr.Svg(link), svg);
        Assert.Equal(XNamespace.Get("http://www.w3.org/2000/svg") + "svg", XDocument.Parse(svg).Root!.Name);

        var pngResponse = await partner.Client.GetAsync($"/api/v1/orders/{id}/payment-qr?format=png");
        Assert.Equal(HttpStatusCode.OK, pngResponse.StatusCode);
        Assert.Equal(PaymentQr.PngContentType, pngResponse.Content.Headers.ContentType!.MediaType);
        var (width, height, luminance) = PngDecoder.DecodeLuminance(await pngResponse.Content.ReadAsByteArrayAsync());
        Assert.Equal(link, PaymentInstructionTests.DecodeQr(luminance, width, height));

        await (await partner.Client.GetAsync($"/api/v1/orders/{id}/payment-qr?format=gif")).AssertErrorAsync(422, ErrorCodes.ValidationError);
    }

    [Fact]
    public async Task Another_partners_order_and_an_unknown_order_are_404()
    {
        var owner = await NewPartnerAsync();
        var stranger = await NewPartnerAsync();
        var order = await owner.CreatedStarsOrderAsync();
        var id = order.GetProperty("id").GetInt64();

        await (await stranger.Client.GetAsync($"/api/v1/orders/{id}/payment-qr")).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await owner.Client.GetAsync($"/api/v1/orders/{long.MaxValue}/payment-qr")).AssertErrorAsync(404, ErrorCodes.NotFound);
        await (await factory.CreateClient().GetAsync($"/api/v1/orders/{id}/payment-qr")).AssertErrorAsync(401, ErrorCodes.Unauthorized);
    }
}

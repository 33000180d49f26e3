using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using TheOpenMoney.Api.Infrastructure.Auth;
using TheOpenMoney.Api.MoneyOut;
using TheOpenMoney.Api.Orders;

namespace TheOpenMoney.Api.Sandbox;

/// <summary>
/// Test mode's stand-ins for the chain, the clock and the Telegram button: simulated payments, top-ups,
/// expiry and withdrawal confirmation for test keys (<c>osk_test_…</c>) only. A live key gets 403
/// <c>FORBIDDEN</c> before anything else is read.
/// </summary>
[ApiController]
[Route("api/v1/sandbox")]
[Tags("Sandbox")]
[Produces("application/json")]
[TestKeysOnly]
public sealed class SandboxController(SandboxPayments sandbox, WithdrawalService withdrawals) : ControllerBase
{
    private const int MaxBodyBytes = 8 * 1024;

    /// <summary>Simulate a payment to a test order.</summary>
    /// <remarks>
    /// A simulated transfer to the order's address, matched exactly as a real deposit is (memo, partial, over and late
    /// payments, ledger rows, events, webhooks). The body is optional: by default it sends what is still due, with the
    /// order's memo, dated now. <c>amount_ton</c> less than due leaves the order waiting (partial), more pays it and
    /// credits the excess (overpayment); <c>late: true</c> dates it after <c>expires_at</c> (credited to the test
    /// balance as a late payment); a <c>memo</c> that matches no test order is kept unmatched, as in live mode.
    /// </remarks>
    /// <param name="id">The test order's id.</param>
    /// <param name="request">Amount, memo and lateness, all optional.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost("orders/{id:long}/pay", Name = "sandboxPayOrder")]
    [Consumes("application/json")]
    [RequestSizeLimit(MaxBodyBytes)]
    [Fails(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<ApiResponse<SandboxPaymentResponse>>> PayOrder(
        long id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] SandboxPaymentRequest? request, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await sandbox.PayOrderAsync(User.GetPartnerId(), id, request ?? new SandboxPaymentRequest(null, null, null), cancellationToken)));

    /// <summary>Simulate a top-up of the test balance.</summary>
    /// <remarks>A simulated transfer to the test top-up address: credited to the test balance (ledger <c>topup</c>, event <c>balance.credited</c>). At most 1,000 TON per call.</remarks>
    /// <param name="request">The amount.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost("balance/topup", Name = "sandboxTopUp")]
    [Consumes("application/json")]
    [RequestSizeLimit(MaxBodyBytes)]
    [Fails(StatusCodes.Status403Forbidden, StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<ApiResponse<SandboxTopupResponse>>> TopUp([FromBody] SandboxTopupRequest request, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await sandbox.TopUpAsync(
            User.GetPartnerId(),
            request.AmountUsdt is { } usdt ? PaymentCurrencies.Usdt : PaymentCurrencies.Ton,
            request.AmountUsdt is { } units ? Amount<Usdt>.OfCoins(units).Units : TonAmount.ToNano(request.AmountTon!.Value),
            cancellationToken)));

    /// <summary>Expire a pending test order now.</summary>
    /// <remarks>As if its time ran out: <c>expired</c>, with what it had received credited back (underpayment). An expired order expires again with 200; any other state is 409 <c>INVALID_STATE</c>.</remarks>
    /// <param name="id">The test order's id.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost("orders/{id:long}/expire", Name = "sandboxExpireOrder")]
    [Fails(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)]
    public async Task<ActionResult<ApiResponse<OrderResponse>>> ExpireOrder(long id, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await sandbox.ExpireOrderAsync(User.GetPartnerId(), id, cancellationToken)));

    /// <summary>Confirm a test withdrawal (the Telegram button's stand-in).</summary>
    /// <remarks>
    /// A test withdrawal never reaches the processor: confirmed here, it completes at once with a made-up
    /// <c>tx_hash</c> (event <c>withdrawal.completed</c>), or, when <c>amount_ton</c> ends in <c>.13</c>, fails with
    /// the hold given back (<c>withdrawal_reversal</c>, event <c>withdrawal.failed</c>). Only one awaiting
    /// confirmation can be confirmed: 409 <c>INVALID_STATE</c> otherwise.
    /// </remarks>
    /// <param name="id">The test withdrawal's id.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost("withdrawals/{id:long}/confirm", Name = "sandboxConfirmWithdrawal")]
    [Fails(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)]
    public async Task<ActionResult<ApiResponse<WithdrawalResponse>>> ConfirmWithdrawal(long id, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await withdrawals.SettleInSandboxAsync(User.GetPartnerId(), id, cancellationToken)));
}

/// <summary>Only test keys: a live key gets 403 <c>FORBIDDEN</c> before its body or route values are read.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class TestKeysOnlyAttribute : Attribute, IAuthorizationFilter
{
    public void OnAuthorization(AuthorizationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.HttpContext.User.IsLivemode())
        {
            throw new ApiException(
                StatusCodes.Status403Forbidden,
                ErrorCodes.Forbidden,
                "sandbox routes take a test key (osk_test_…): a live key's money is real; get a test key with /apitest in the bot");
        }
    }
}

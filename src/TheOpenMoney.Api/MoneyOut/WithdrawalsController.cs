using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Auth;
using TheOpenMoney.Api.Infrastructure.Idempotency;
using TheOpenMoney.Api.Infrastructure.Paging;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>Withdraw your prepaid balance: asked here, confirmed by you in the Telegram bot, then sent by the processor.</summary>
[ApiController]
[Route("api/v1/balance/withdrawals")]
[Tags("Balance")]
[Produces("application/json")]
public sealed class WithdrawalsController(WithdrawalService withdrawals) : ControllerBase
{
    private const int MaxBodyBytes = 8 * 1024;

    /// <summary>Ask to withdraw.</summary>
    /// <remarks>
    /// Holds <c>amount_ton</c> + the fee (<c>Withdrawals:FeeTon</c>, 0.01) on your balance at once (409
    /// <c>INSUFFICIENT_BALANCE</c> otherwise; 409 <c>WITHDRAWAL_LIMIT</c> beyond <c>Withdrawals:DailyLimitTon</c>, 500 TON,
    /// per rolling 24 hours) and answers <c>awaiting_confirmation</c>. With <c>amount_usdt</c> instead, the same from
    /// your USDT balance, sent as USDT (fee <c>Withdrawals:FeeUsdt</c>, 0.3 USDT; limit <c>Withdrawals:DailyLimitUsdt</c>,
    /// 2,000 USDT per rolling 24 hours). Nothing leaves until you press Confirm on
    /// the message the bot sends to your private chat within <c>confirm_by</c> (10 minutes): an API key alone
    /// never moves money out. Cancelled, unconfirmed in time, or failed at the processor, the hold comes back in
    /// full. Without the bot on this server: 503 and nothing held. Send an <c>Idempotency-Key</c>.
    /// </remarks>
    /// <param name="request">Amount and destination.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost(Name = "createWithdrawal")]
    [Consumes("application/json")]
    [Idempotent]
    [RequestSizeLimit(MaxBodyBytes)]
    [Fails(StatusCodes.Status409Conflict, StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<ApiResponse<WithdrawalResponse>>> Create([FromBody] CreateWithdrawalRequest request, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(request.AmountUsdt is { } usdt
            ? await withdrawals.RequestAsync(User.GetPartnerId(), User.IsLivemode(), PaymentCurrencies.Usdt, Amount<Usdt>.OfCoins(usdt).Units, request.Destination!, cancellationToken)
            : await withdrawals.RequestAsync(User.GetPartnerId(), User.IsLivemode(), PaymentCurrencies.Ton, TonAmount.ToNano(request.AmountTon!.Value), request.Destination!, cancellationToken)));

    /// <summary>Your withdrawals, newest first.</summary>
    [HttpGet(Name = "listWithdrawals")]
    public async Task<ActionResult<ApiResponse<Page<WithdrawalResponse>>>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await withdrawals.ListAsync(User.GetPartnerId(), page, cancellationToken)));

    /// <summary>A withdrawal.</summary>
    /// <param name="id">Withdrawal id.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpGet("{id:long}", Name = "getWithdrawal")]
    [Fails(StatusCodes.Status404NotFound)]
    public async Task<ActionResult<ApiResponse<WithdrawalResponse>>> Get(long id, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await withdrawals.GetAsync(User.GetPartnerId(), id, cancellationToken)));

    /// <summary>Cancel a withdrawal not yet sent.</summary>
    /// <remarks>The hold comes back in full. A cancelled one cancels again with 200; once sent, 409 <c>WITHDRAWAL_NOT_CANCELLABLE</c>.</remarks>
    /// <param name="id">Withdrawal id.</param>
    /// <param name="cancellationToken">Request abort.</param>
    [HttpPost("{id:long}/cancel", Name = "cancelWithdrawal")]
    [Idempotent]
    [RequestSizeLimit(MaxBodyBytes)]
    [Fails(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)]
    public async Task<ActionResult<ApiResponse<WithdrawalResponse>>> Cancel(long id, CancellationToken cancellationToken) =>
        Ok(ApiResponse.Of(await withdrawals.CancelAsync(User.GetPartnerId(), id, cancellationToken)));
}

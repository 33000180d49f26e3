using System.Security.Cryptography;
using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Orders;
using TheOpenMoney.Api.Payments;

namespace TheOpenMoney.Api.Sandbox;

/// <summary>
/// What the sandbox routes do for a test key. TON "arrives" as a simulated deposit handed to the same door
/// as the processor's rows (<see cref="DepositIntake.TakeSimulatedAsync"/>): stored once, matched by the same
/// database function (memo, partial, over, late, expired rules, ledger rows, events), so test mode exercises
/// the real paths, not a copy. The deposit is dated now (or after <c>expires_at</c> when asked to be late);
/// its sender is a fixed sandbox address. Orders and balances are the caller's (its test twin's) only.
/// </summary>
public sealed class SandboxPayments(
    DepositIntake intake,
    SandboxAddresses addresses,
    OrderReads orders,
    OrderLifecycle lifecycle,
    BalanceLedger ledger,
    ReadOnlyDbContext reads,
    TimeProvider time)
{
    /// <summary>How often test orders past <c>expires_at</c> are expired.</summary>
    public static readonly TimeSpan ExpiryInterval = TimeSpan.FromSeconds(5);

    /// <summary>The sender of every simulated deposit (a testnet-form address no one holds).</summary>
    public static readonly string PayerAddress = SandboxAddresses.AddressOf("payer");

    /// <summary>A simulated payment for the partner's test order (404 for anything else): by default what is still due, with its memo, dated now.</summary>
    public async Task<SandboxPaymentResponse> PayOrderAsync(long partnerId, long orderId, SandboxPaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var order = await orders.FindAsync(partnerId, orderId, cancellationToken);
        var memo = request.Memo ?? order.PaymentMemo;
        if (PaymentMemo.Normalize(memo) is { } typed && typed != order.PaymentMemo
            && await reads.Orders.AnyAsync(o => o.PaymentMemo == typed && !o.Livemode, cancellationToken))
        {
            // Another test order's memo (perhaps another partner's): paying it from here would reach beyond this order. (A live
            // order's memo is not looked for: the database matches a simulated deposit to test orders only.)
            throw ApiException.Validation("memo is another order's memo; pay that order through its own route");
        }

        // Paid in the order's currency unless the payer sends the other one (which the order never takes).
        var currency = request.Currency ?? order.PaymentCurrency;
        if (currency == PaymentCurrencies.Ton ? request.AmountUsdt is not null : request.AmountTon is not null)
        {
            throw ApiException.Validation($"a {currency} payment takes amount_{currency.ToLowerInvariant()}");
        }

        var due = order.PriceNanoton - order.PaidNanoton;
        var dueInPaidCurrency = currency == order.PaymentCurrency;
        var amount = request.AmountTon is { } ton ? TonAmount.ToNano(ton)
            : request.AmountUsdt is { } usdt ? Amount<Usdt>.OfCoins(usdt).Units
            : !dueInPaidCurrency ? PaymentCurrencies.Units(currency, 1m)
            : order.Status == OrderStatus.PendingPayment && due > 0 ? due : order.PriceNanoton;
        var now = time.GetUtcNow();
        var chainTime = request.Late == true && now <= order.ExpiresAt ? order.ExpiresAt.AddSeconds(1) : now;
        // The orders address of the currency sent: a USDT transfer lands on the USDT orders address, whatever the order's is.
        var address = dueInPaidCurrency && order.PaymentAddress is { } own ? own : await addresses.GetOrdersAddressAsync(currency, cancellationToken);
        var (txHash, appliedAs) = await DepositAsync(address, currency, amount, string.IsNullOrEmpty(memo) ? null : memo, chainTime, cancellationToken);
        var after = await orders.FindAsync(partnerId, orderId, cancellationToken);
        return currency == PaymentCurrencies.Ton
            ? new SandboxPaymentResponse(txHash, TonAmount.FromNano(amount), new Nanoton(amount), appliedAs, chainTime, after.ToResponse())
            : new SandboxPaymentResponse(txHash, 0, default, appliedAs, chainTime, after.ToResponse(), new Amount<Usdt>(amount).Coins, new BaseUnits(amount));
    }

    /// <summary>A simulated top-up of the partner's test balance in <paramref name="currency"/> (ledger <c>topup</c>).</summary>
    public async Task<SandboxTopupResponse> TopUpAsync(long partnerId, string currency, long units, CancellationToken cancellationToken)
    {
        var address = await addresses.GetTopupAddressAsync(partnerId, currency, cancellationToken);
        var (txHash, appliedAs) = await DepositAsync(address!, currency, units, comment: null, time.GetUtcNow(), cancellationToken);
        var balance = await ledger.GetBalanceAsync(partnerId, cancellationToken);
        if (currency == PaymentCurrencies.Ton)
        {
            return new SandboxTopupResponse(txHash, TonAmount.FromNano(units), new Nanoton(units), appliedAs, TonAmount.FromNano(balance), new Nanoton(balance));
        }

        var usdtBalance = await ledger.GetBalanceAsync(partnerId, currency, cancellationToken);
        return new SandboxTopupResponse(
            txHash, 0, default, appliedAs, TonAmount.FromNano(balance), new Nanoton(balance),
            new Amount<Usdt>(units).Coins, new BaseUnits(units), new Amount<Usdt>(usdtBalance).Coins, new BaseUnits(usdtBalance));
    }

    /// <summary><c>pending_payment → expired</c> now for the partner's test order; 404 for anything else, 409 when it is not pending.</summary>
    public async Task<OrderResponse> ExpireOrderAsync(long partnerId, long orderId, CancellationToken cancellationToken)
    {
        var expired = await lifecycle.ExpireTestOrderNowAsync(partnerId, orderId, cancellationToken);
        var order = await orders.FindAsync(partnerId, orderId, cancellationToken);
        if (!expired && order.Status != OrderStatus.Expired)
        {
            throw ApiException.Conflict(
                ErrorCodes.InvalidState, $"order {orderId} is {OrderLifecycle.Text(order.Status)}; only pending_payment orders can be expired");
        }

        return order.ToResponse();
    }

    private async Task<(string TxHash, string AppliedAs)> DepositAsync(
        string address, string currency, long units, string? comment, DateTimeOffset chainTime, CancellationToken cancellationToken)
    {
        var txHash = "sandbox-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(28));
        var deposit = new IncomingDeposit(txHash, SandboxAddresses.UserId, address, PayerAddress, units, comment, chainTime, currency);
        var settled = await intake.TakeSimulatedAsync(deposit, cancellationToken);
        if (settled is not { Fate: RowFate.Applied, Outcome: { } outcome })
        {
            throw new ApiException(
                StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "the simulated deposit could not be applied now; nothing was credited, retry")
            {
                RetryAfterSeconds = 1,
            };
        }

        return (txHash, outcome.Kind);
    }
}

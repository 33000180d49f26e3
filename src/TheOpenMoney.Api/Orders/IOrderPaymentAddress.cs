namespace TheOpenMoney.Api.Orders;

/// <summary>
/// The port through which orders get the address they are paid to (implemented by Payments, so Orders
/// does not depend on it): the one shared deposit address of memo-paid orders per currency, told apart by memo.
/// </summary>
public interface IOrderPaymentAddress
{
    /// <summary>The TON orders address.</summary>
    Task<string> GetOrdersAddressAsync(CancellationToken cancellationToken);

    /// <summary>The orders address for <paramref name="currency"/> (<c>TON</c> or <c>USDT</c>).</summary>
    Task<string> GetOrdersAddressAsync(string currency, CancellationToken cancellationToken) =>
        currency == PaymentCurrencies.Ton
            ? GetOrdersAddressAsync(cancellationToken)
            : throw new ApiException(
                StatusCodes.Status422UnprocessableEntity,
                ErrorCodes.ValidationError,
                $"payment_currency {currency} is not offered here: it needs the payment processor");
}

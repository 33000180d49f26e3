namespace TheOpenMoney.Api.Orders;

/// <summary>
/// The port through which orders get the address they are paid to (implemented by Payments, so Orders
/// does not depend on it): the one shared deposit address of memo-paid orders, told apart by memo.
/// </summary>
public interface IOrderPaymentAddress
{
    Task<string> GetOrdersAddressAsync(CancellationToken cancellationToken);
}

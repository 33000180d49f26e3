namespace TheOpenMoney.Api.Pricing;

/// <summary>
/// What a partner buys (the contract's <c>order_type</c>): priced here, checked by Recipients, bought
/// by Orders. It lives with the price list so that Orders depends on Pricing and not the other way.
/// </summary>
public enum OrderType
{
    Stars,
    Premium,
}

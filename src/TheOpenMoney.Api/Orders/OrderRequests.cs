using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Paging;
using TheOpenMoney.Api.Infrastructure.Validation;
using TheOpenMoney.Api.Pricing;
using TheOpenMoney.Api.Recipients;

namespace TheOpenMoney.Api.Orders;

/// <summary>Create a Stars order.</summary>
/// <param name="RecipientUsername">Telegram username of the recipient; a leading <c>@</c> is dropped.</param>
/// <param name="Quantity">Stars to buy (default limits 50–10,000).</param>
/// <param name="PaymentMethod"><c>ton_memo</c> (default), <c>balance</c> or <c>tonramp</c>.</param>
/// <param name="PaymentCurrency"><c>TON</c> (the default) or <c>USDT</c> (Tether USD on TON: priced in USDT, paid to the USDT orders address or from the USDT balance; not with <c>tonramp</c>).</param>
/// <param name="ClientReference">Your own id for the order (≤ 128 characters), for <c>GET /orders/by-reference/{ref}</c>.</param>
public sealed record CreateStarsOrderRequest(
    [property: ContractRequired] string? RecipientUsername,
    [property: ContractRequired] int? Quantity,
    [property: TextValues(typeof(PaymentMethod))] string? PaymentMethod,
    [property: TextValues(PaymentCurrencies.Ton, PaymentCurrencies.Usdt)] string? PaymentCurrency,
    string? ClientReference);

/// <summary>Create a Premium gift order.</summary>
/// <param name="RecipientUsername">Telegram username of the recipient; a leading <c>@</c> is dropped.</param>
/// <param name="Months">Plan length: 3, 6 or 12.</param>
/// <param name="PaymentMethod"><c>ton_memo</c> (default), <c>balance</c> or <c>tonramp</c>.</param>
/// <param name="PaymentCurrency"><c>TON</c> (the default) or <c>USDT</c> (Tether USD on TON: priced in USDT, paid to the USDT orders address or from the USDT balance; not with <c>tonramp</c>).</param>
/// <param name="ClientReference">Your own id for the order (≤ 128 characters).</param>
public sealed record CreatePremiumOrderRequest(
    [property: ContractRequired] string? RecipientUsername,
    [property: ContractRequired] int? Months,
    [property: TextValues(typeof(PaymentMethod))] string? PaymentMethod,
    [property: TextValues(PaymentCurrencies.Ton, PaymentCurrencies.Usdt)] string? PaymentCurrency,
    string? ClientReference);

/// <summary>Filters and paging for <c>GET /orders</c>.</summary>
public sealed class ListOrdersQuery : PageQuery
{
    /// <summary>Only orders in this status.</summary>
    [FromQuery(Name = "status")]
    [TextValues(typeof(OrderStatus))]
    public string? Status { get; set; }

    /// <summary><c>stars</c> or <c>premium</c>.</summary>
    [FromQuery(Name = "order_type")]
    [TextValues(typeof(OrderType))]
    public string? OrderType { get; set; }

    /// <summary>Created at or after this instant (ISO 8601). After <c>created_to</c>: 422.</summary>
    [FromQuery(Name = "created_from")]
    public DateTimeOffset? CreatedFrom { get; set; }

    /// <summary>Created before this instant (ISO 8601).</summary>
    [FromQuery(Name = "created_to")]
    public DateTimeOffset? CreatedTo { get; set; }

    /// <summary>Only orders with this <c>client_reference</c>.</summary>
    [FromQuery(Name = "client_reference")]
    public string? ClientReference { get; set; }
}

/// <summary>Optional period for <c>GET /orders/stats/summary</c>.</summary>
public sealed class StatsQuery
{
    /// <summary>Orders created at or after this instant (ISO 8601). After <c>to</c>: 422.</summary>
    [FromQuery(Name = "from")]
    public DateTimeOffset? From { get; set; }

    /// <summary>Orders created before this instant.</summary>
    [FromQuery(Name = "to")]
    public DateTimeOffset? To { get; set; }
}

internal sealed class CreateStarsOrderRequestValidator : AbstractValidator<CreateStarsOrderRequest>
{
    public CreateStarsOrderRequestValidator(IOptions<PricingOptions> pricing)
    {
        RuleFor(r => r.RecipientUsername).TelegramUsername("recipient_username");
        RuleFor(r => r.Quantity).StarsQuantity(pricing.Value);
        RuleFor(r => r.PaymentMethod).PaymentMethod();
        RuleFor(r => r.PaymentCurrency).PaymentCurrency();
        RuleFor(r => r.PaymentMethod).PaidInTonOnlyThroughTonRamp(r => r.PaymentCurrency);
        RuleFor(r => r.ClientReference).ClientReference();
    }
}

internal sealed class CreatePremiumOrderRequestValidator : AbstractValidator<CreatePremiumOrderRequest>
{
    public CreatePremiumOrderRequestValidator(IOptions<PricingOptions> pricing)
    {
        RuleFor(r => r.RecipientUsername).TelegramUsername("recipient_username");
        RuleFor(r => r.Months).PremiumMonths(pricing.Value);
        RuleFor(r => r.PaymentMethod).PaymentMethod();
        RuleFor(r => r.PaymentCurrency).PaymentCurrency();
        RuleFor(r => r.PaymentMethod).PaidInTonOnlyThroughTonRamp(r => r.PaymentCurrency);
        RuleFor(r => r.ClientReference).ClientReference();
    }
}

internal sealed class ListOrdersQueryValidator : AbstractValidator<ListOrdersQuery>
{
    public ListOrdersQueryValidator()
    {
        Include(new PageQueryValidator());
        RuleFor(q => q.Status).Must(s => s is null || EnumText<OrderStatus>.TryParse(s, out _))
            .WithMessage($"status must be one of {string.Join(", ", EnumText<OrderStatus>.All)}");
        RuleFor(q => q.OrderType).Must(t => t is null || EnumText<OrderType>.TryParse(t, out _))
            .WithMessage("order_type must be stars or premium");
        RuleFor(q => q.ClientReference).ClientReference();
        RuleFor(q => q).Must(q => q.CreatedFrom is null || q.CreatedTo is null || q.CreatedFrom <= q.CreatedTo)
            .WithMessage("created_from must not be after created_to");
    }
}

internal sealed class StatsQueryValidator : AbstractValidator<StatsQuery>
{
    public StatsQueryValidator() =>
        RuleFor(q => q).Must(q => q.From is null || q.To is null || q.From <= q.To).WithMessage("from must not be after to");
}

public static class OrderRules
{
    public static IRuleBuilderOptions<T, string?> PaymentMethod<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(m => m is null || EnumText<Orders.PaymentMethod>.TryParse(m, out _))
            .WithMessage($"payment_method must be one of {string.Join(", ", EnumText<Orders.PaymentMethod>.All)}");

    public static IRuleBuilderOptions<T, string?> PaymentCurrency<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(c => c is null || PaymentCurrencies.IsKnown(c)).WithMessage($"payment_currency must be {string.Join(" or ", PaymentCurrencies.All)}");

    /// <summary>TonRamp sells TON: a <c>tonramp</c> order is a TON order.</summary>
    public static IRuleBuilderOptions<T, string?> PaidInTonOnlyThroughTonRamp<T>(this IRuleBuilder<T, string?> rule, Func<T, string?> currency) =>
        rule.Must((request, method) => method != "tonramp" || currency(request) is null or PaymentCurrencies.Ton)
            .WithMessage("payment_method tonramp is paid in TON only; use payment_currency TON, or ton_memo or balance for USDT");

    /// <summary>A <c>client_reference</c> has no control characters (<see cref="char.IsControl(char)"/>: U+0000–U+001F, U+007F–U+009F).</summary>
    public const string ClientReferencePattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

    public const int ClientReferenceMaxLength = 128;

    public static IRuleBuilderOptions<T, string?> ClientReference<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Length(1, ClientReferenceMaxLength).WithMessage(ClientReferenceMessage)
            .MatchesInFull(ClientReferencePattern).WithMessage(ClientReferenceMessage);

    private const string ClientReferenceMessage = "client_reference must be 1 to 128 characters without control characters";
}

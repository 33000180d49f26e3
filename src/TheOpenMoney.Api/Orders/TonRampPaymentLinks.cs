namespace TheOpenMoney.Api.Orders;

/// <summary>The links TonRamp made for a payment.</summary>
public sealed record TonRampPaymentLinks(string Payload, string DeepLink, string TelegramLink);

namespace TheOpenMoney.Api.Payments;

/// <summary>Configuration section <c>Payments</c>.</summary>
public sealed class PaymentAddressOptions
{
    public const string Section = "Payments";

    /// <summary>The deposit address every <c>ton_memo</c> order is paid to, until the processor provisions one.</summary>
    public string? OrdersAddress { get; set; }
}

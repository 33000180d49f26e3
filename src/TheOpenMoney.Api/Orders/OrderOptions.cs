namespace TheOpenMoney.Api.Orders;

/// <summary>Configuration section <c>Orders</c>.</summary>
public sealed class OrderOptions
{
    public const string Section = "Orders";

    /// <summary>How long a <c>ton_memo</c> order waits for its payment (<c>Orders:Ttl</c>).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(15);
}

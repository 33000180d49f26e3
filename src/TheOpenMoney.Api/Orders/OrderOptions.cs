namespace TheOpenMoney.Api.Orders;

/// <summary>Configuration section <c>Orders</c>.</summary>
public sealed class OrderOptions
{
    public const string Section = "Orders";

    /// <summary>How long a <c>ton_memo</c> order waits for its payment (<c>Orders:Ttl</c>).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How many rendered orders each process keeps for the partner's reads (<see cref="RenderedOrders"/>; about 1.2 KB
    /// each): 10,000 by default, 0 to render every read.
    /// </summary>
    public int RenderCacheSize { get; set; } = 10_000;
}

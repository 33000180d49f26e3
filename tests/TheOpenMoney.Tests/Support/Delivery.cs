using TheOpenMoney.Api.Fulfillment;

namespace TheOpenMoney.Tests.Support;

public static class Delivery
{
    /// <summary>Runs the real fulfillment worker until the order leaves paid/processing (bounded), and returns it.</summary>
    public static async Task<JsonElement> DeliverAsync(ApiFactory factory, PartnerApi partner, long orderId)
    {
        var worker = ActivatorUtilities.CreateInstance<FulfillmentWorker>(factory.Services);
        for (var pass = 0; pass < 100; pass++)
        {
            await worker.DeliverDueAsync(CancellationToken.None);
            var order = await (await partner.Client.GetAsync($"/api/v1/orders/{orderId}")).AssertOkAsync();
            if (order.GetProperty("status").GetString() is not ("paid" or "processing"))
            {
                return order;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"order {orderId} was not delivered");
        return default;
    }
}

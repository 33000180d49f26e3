using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Fulfillment;
using TheOpenMoney.Api.Orders;
using TheOpenMoney.Api.Recipients;

namespace TheOpenMoney.Api.Sandbox;

public static class SandboxSetup
{
    /// <summary>
    /// Test mode: the simulated outside world test keys get through <see cref="ForMode{T}"/> (sandbox addresses,
    /// the simulated recipient directory and supplier, TonRamp links made here), the sandbox routes' service,
    /// the expiry of test orders, and the routes' examples. Always on: test mode needs nothing configured.
    /// </summary>
    public static IServiceCollection AddSandbox(this IServiceCollection services)
    {
        services.AddSingleton<SandboxAddresses>();
        services.AddKeyedSingleton<IOrderPaymentAddress>(TestMode.ServiceKey, (sp, _) => sp.GetRequiredService<SandboxAddresses>());
        services.AddKeyedSingleton<ITopupAddress>(TestMode.ServiceKey, (sp, _) => sp.GetRequiredService<SandboxAddresses>());
        services.AddKeyedSingleton<IRecipientDirectory, SimulatedRecipientDirectory>(TestMode.ServiceKey);
        services.AddKeyedSingleton<ISupplier, SimulatedSupplier>(TestMode.ServiceKey);
        services.AddKeyedSingleton<ITonRampGateway, SandboxTonRamp>(TestMode.ServiceKey);
        services.AddScoped<SandboxPayments>();
        services.AddBackgroundJob<SandboxOrderExpiry>(job => job.Interval = SandboxPayments.ExpiryInterval);
        services.AddContractExamples<SandboxContractExamples>();
        return services;
    }
}

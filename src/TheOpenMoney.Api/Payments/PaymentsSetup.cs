using TheOpenMoney.Api.Balance;
using TheOpenMoney.Api.Infrastructure.Cli;
using TheOpenMoney.Api.Orders;
using TheOpenMoney.Api.Health;

namespace TheOpenMoney.Api.Payments;

public static class PaymentsSetup
{
    /// <summary>
    /// With <c>PaymentProcessor:BaseUrl</c>: the processor client, processor-provisioned addresses, the
    /// deposit poller (with expiry), the webhook and the health check. Without it: the configured
    /// orders address and no payment tracking.
    /// </summary>
    public static IServiceCollection AddPayments(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(PaymentProcessorOptions.Section);
        services.AddOptions<PaymentProcessorOptions>()
            .Bind(section)
            .Validate(o => !o.Enabled || Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out _), "PaymentProcessor:BaseUrl must be an absolute URL")
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.PageSize is > 0 and <= 1000 && o.RescanOverlap >= 0 && o.ApplyLanes is > 0 and <= 64 && o.MaxApplyFailures >= 1, "PaymentProcessor poll settings are invalid")
            .Validate(o => o.Currency == "TON", "PaymentProcessor:Currency must be TON: it is the processor's name for TON, whose deposits are counted in nanoTON")
            .ValidateOnStart();
        services.AddOptions<UsdtOptions>()
            .Bind(configuration.GetSection(UsdtOptions.Section))
            .Validate(o => !o.Enabled || TonAddress.IsValid(o.UsdtMaster!), "Payments:UsdtMaster is not a valid TON address")
            .Validate(
                o => o.UsdtCurrency is { Length: > 0 and <= 16 } name && name.All(char.IsAsciiLetterOrDigit) && name != "TON",
                "Payments:UsdtCurrency must be 1-16 ASCII letters or digits, and not TON")
            .ValidateOnStart();
        services.AddSingleton<ProcessorCurrencyNames>();
        services.AddOptions<PaymentAddressOptions>()
            .Bind(configuration.GetSection(PaymentAddressOptions.Section))
            .Validate(o => o.OrdersAddress is null || TonAddress.IsValid(o.OrdersAddress), "Payments:OrdersAddress is not a valid TON address")
            .ValidateOnStart();
        services.AddSingleton<PaymentMetrics>();
        services.AddSingleton<DepositProcessor>();
        services.AddSingleton<DepositQuarantine>();
        services.AddScoped<DepositIntake>();
        services.AddOperatorCommand<DepositsQuarantinedCommand>();
        services.AddOperatorCommand<DepositsRetryCommand>();
        services.AddOperatorCommand<DepositsUnmatchedCommand>();
        services.AddOperatorCommand<DepositsAssignCommand>();
        // Orders' port: the orders address, from whichever IPaymentAddresses is registered (tests replace it).
        services.AddScoped<IOrderPaymentAddress>(sp => sp.GetRequiredService<IPaymentAddresses>());
        services.AddScoped<ITopupAddress>(sp => sp.GetRequiredService<IPaymentAddresses>());
        var enabled = !string.IsNullOrWhiteSpace(section["BaseUrl"]);
        if (!enabled)
        {
            services.AddSingleton<IPaymentAddresses, ConfiguredPaymentAddresses>();
            return services;
        }

        services.AddHttpClient<ProcessorClient>((sp, client) =>
                ProcessorClient.Configure(client, sp.GetRequiredService<IOptions<PaymentProcessorOptions>>().Value))
            .AddResilience<PaymentProcessorOptions>(o => o.Http);
        services.AddScoped<WebhookDeposits>();
        services.AddSingleton<OrdersAddressCache>();
        services.AddScoped<ProcessorPaymentAddresses>();
        services.AddScoped<IPaymentAddresses>(sp => sp.GetRequiredService<ProcessorPaymentAddresses>());
        services.AddSingleton<ProcessorCursors>();
        services.AddBackgroundJob<DepositPoller>((job, sp) =>
        {
            var interval = Settings(sp).PollInterval;
            job.Interval = interval;
            job.LeaderLockKey = DepositPoller.LeaderLockKey;
            // A failing poll (the processor unreachable, deposits the database refuses) is retried
            // within two intervals: rows the database keeps refusing reach quarantine promptly.
            job.FailureBackoff = interval;
            job.FailureBackoffCap = interval * 2;
        });
        services.AddBackgroundJob<StoredDepositRecovery>((job, sp) => job.Interval = Settings(sp).PollInterval);
        services.AddBackgroundJob<OrderExpiry>((job, sp) => job.Interval = Settings(sp).PollInterval);
        services.AddHealthChecks().AddCheck<ProcessorHealthCheck>(HealthComponents.PaymentProcessor);
        return services;
    }

    private static PaymentProcessorOptions Settings(IServiceProvider services) =>
        services.GetRequiredService<IOptions<PaymentProcessorOptions>>().Value;
}

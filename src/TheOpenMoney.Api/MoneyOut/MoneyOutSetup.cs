using Microsoft.Extensions.Diagnostics.HealthChecks;
using TheOpenMoney.Api.Health;
using TheOpenMoney.Api.Infrastructure.Cli;
using TheOpenMoney.Api.Payments;
using TheOpenMoney.Api.Telegram;

namespace TheOpenMoney.Api.MoneyOut;

public static class MoneyOutSetup
{
    /// <summary>
    /// Money out: options (<c>Refunds</c>, <c>Withdrawals</c>, <c>Reconciliation</c>), the lifecycle, the partner
    /// routes' service, the Telegram confirmation (its buttons), the processor's money-out client (timeout, no
    /// retry), the engine and the reconciliation (one leader each, with a processor), the operator verbs, health,
    /// metrics and the routes' examples.
    /// </summary>
    public static IServiceCollection AddMoneyOut(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RefundOptions>().Bind(configuration.GetSection(RefundOptions.Section))
            .Validate(o => o.Grace >= TimeSpan.Zero && o.NetworkFeeTon >= 0 && o.MinAmountTon >= 0 && decimal.Round(o.NetworkFeeTon, 9) == o.NetworkFeeTon && decimal.Round(o.MinAmountTon, 9) == o.MinAmountTon, "Refunds settings are invalid")
            .Validate(o => o.NetworkFeeUsdt >= 0 && o.MinAmountUsdt >= 0 && decimal.Round(o.NetworkFeeUsdt, 6) == o.NetworkFeeUsdt && decimal.Round(o.MinAmountUsdt, 6) == o.MinAmountUsdt, "Refunds USDT settings are invalid")
            .ValidateOnStart();
        services.AddOptions<WithdrawalOptions>().Bind(configuration.GetSection(WithdrawalOptions.Section))
            .Validate(o => o.FeeTon >= 0 && o.MinAmountTon > 0 && o.DailyLimitTon >= o.MinAmountTon && decimal.Round(o.FeeTon, 9) == o.FeeTon && decimal.Round(o.MinAmountTon, 9) == o.MinAmountTon && decimal.Round(o.DailyLimitTon, 9) == o.DailyLimitTon, "Withdrawals amounts are invalid")
            .Validate(o => o.FeeUsdt >= 0 && o.MinAmountUsdt > 0 && o.DailyLimitUsdt >= o.MinAmountUsdt && decimal.Round(o.FeeUsdt, 6) == o.FeeUsdt && decimal.Round(o.MinAmountUsdt, 6) == o.MinAmountUsdt && decimal.Round(o.DailyLimitUsdt, 6) == o.DailyLimitUsdt, "Withdrawals USDT amounts are invalid")
            .Validate(o => o.ConfirmWithin > TimeSpan.Zero && o.EngineInterval > TimeSpan.Zero && o.StatusCheckInterval >= TimeSpan.Zero && o.BatchSize > 0 && o.LostSearchLimit > 0, "Withdrawals timings are invalid")
            .ValidateOnStart();
        services.AddOptions<ReconciliationOptions>().Bind(configuration.GetSection(ReconciliationOptions.Section))
            .Validate(o => o.Interval > TimeSpan.Zero && o.AddressConcurrency > 0, "Reconciliation settings are invalid")
            .ValidateOnStart();
        services.AddSingleton<MoneyOutMetrics>();
        services.AddScoped<WithdrawalLifecycle>();
        services.AddScoped<WithdrawalService>();
        services.AddScoped<WithdrawalConfirmations>();
        services.AddScoped<IBotCallbackHandler>(sp => sp.GetRequiredService<WithdrawalConfirmations>());
        services.AddOperatorCommand<DepositsRefundCommand>();
        services.AddOperatorCommand<DepositsKeepCommand>();
        services.AddOperatorCommand<WithdrawalsLinkCommand>();
        services.AddContractExamples<MoneyOutContractExamples>();
        if (string.IsNullOrWhiteSpace(configuration[$"{PaymentProcessorOptions.Section}:BaseUrl"]))
        {
            // No processor: nothing can go out (requests are held and wait; nothing is sent).
            return services;
        }

        services.AddHttpClient<ProcessorWithdrawals>((sp, client) =>
                ProcessorClient.Configure(client, sp.GetRequiredService<IOptions<PaymentProcessorOptions>>().Value))
            .AddResilience<PaymentProcessorOptions>(o => new HttpResilienceOptions { AttemptTimeout = o.Http.AttemptTimeout, MaxRetries = 0, CircuitFailureRatio = 0 });
        services.AddScoped<Reconciler>();
        services.AddOperatorCommand<ReconcileCommand>();
        services.AddBackgroundJob<WithdrawalEngine>((job, sp) =>
        {
            job.Interval = sp.GetRequiredService<IOptions<WithdrawalOptions>>().Value.EngineInterval;
            job.LeaderLockKey = WithdrawalEngine.LeaderLockKey;
        });
        services.AddBackgroundJob<ReconciliationJob>((job, sp) =>
        {
            job.Interval = sp.GetRequiredService<IOptions<ReconciliationOptions>>().Value.Interval;
            job.LeaderLockKey = ReconciliationJob.LeaderLockKey;
        });
        services.AddHealthChecks()
            .AddCheck<MoneyOutHealthCheck>(HealthComponents.MoneyOut, failureStatus: HealthStatus.Degraded)
            .AddCheck<ReconciliationHealthCheck>(HealthComponents.Reconciliation, failureStatus: HealthStatus.Degraded);
        return services;
    }
}

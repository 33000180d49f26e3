using TheOpenMoney.Api.Infrastructure.Cli;

namespace TheOpenMoney.Api.Balance;

public static class BalanceSetup
{
    /// <summary>The balance ledger (the one writer of balances), the operator's <c>balance credit</c>, and the balance routes' examples.</summary>
    public static IServiceCollection AddBalance(this IServiceCollection services)
    {
        services.AddScoped<BalanceLedger>();
        services.AddOperatorCommand<BalanceCreditCommand>();
        services.AddContractExamples<BalanceContractExamples>();
        return services;
    }
}

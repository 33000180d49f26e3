namespace TheOpenMoney.Api.Infrastructure.Idempotency;

public static class IdempotencySetup
{
    /// <summary>
    /// The <c>Idempotency</c> options, the store, the request scope that joins every transaction
    /// <see cref="UnitOfWork"/> opens (claims the key, stores the answer), and the sweeper of expired records (a background job). Actions opt in with <see cref="IdempotentAttribute"/>.
    /// </summary>
    public static IServiceCollection AddIdempotency(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IdempotencyOptions>()
            .Bind(configuration.GetSection(IdempotencyOptions.Section))
            .Validate(o => o.Retention >= TimeSpan.FromHours(24), "Idempotency:Retention must be at least 24 hours")
            .Validate(o => o.SweepInterval > TimeSpan.Zero, "Idempotency:SweepInterval must be positive")
            .ValidateOnStart();
        services.AddScoped<IdempotencyStore>();
        services.AddScoped<IdempotencyScope>();
        services.AddScoped<ITransactionParticipant>(sp => sp.GetRequiredService<IdempotencyScope>());
        services.AddBackgroundJob<IdempotencySweeper>((job, sp) =>
            job.Interval = sp.GetRequiredService<IOptions<IdempotencyOptions>>().Value.SweepInterval);
        return services;
    }
}

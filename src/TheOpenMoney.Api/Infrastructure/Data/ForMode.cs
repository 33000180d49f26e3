namespace TheOpenMoney.Api.Infrastructure.Data;

/// <summary>The key under which each outside dependency's test-mode (simulated) implementation is registered.</summary>
public static class TestMode
{
    public const string ServiceKey = "test-mode";
}

/// <summary>
/// The implementation of an outside dependency (processor addresses, supplier, recipient directory,
/// TonRamp) for a mode: the one registered for live requests, or the simulated one registered under
/// <see cref="TestMode.ServiceKey"/> for test keys, so test mode never calls anyone outside. Which data a
/// request sees is not decided here: a test key's partner is its test twin, and partner scoping does that.
/// </summary>
public sealed class ForMode<T>(IServiceProvider services)
    where T : notnull
{
    public T Get(bool livemode) =>
        livemode ? services.GetRequiredService<T>() : services.GetRequiredKeyedService<T>(TestMode.ServiceKey);
}

namespace TheOpenMoney.Api.Health;

/// <summary><c>GET /health</c>'s example in the document.</summary>
public sealed class HealthContractExamples : IContractExamples
{
    public IEnumerable<KeyValuePair<string, object>> Successes() =>
    [
        new("getHealth", new HealthResponse("ok", ContractExamplesSetup.ExampleInstant, new Dictionary<string, IReadOnlyDictionary<string, object?>>
        {
            ["database"] = new Dictionary<string, object?> { ["status"] = "ok" },
            ["payment_processor"] = new Dictionary<string, object?> { ["status"] = "ok", ["reachable"] = true, ["is_synced"] = true, ["lag_seconds"] = 3 },
        })),
    ];
}

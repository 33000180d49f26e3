namespace TheOpenMoney.Tests.Support;

/// <summary>The API with the settings a test class puts in <see cref="Settings"/> (the first of two instances, say).</summary>
public class SettingsFactory : ApiFactory
{
    public Dictionary<string, string?> Settings { get; } = new();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        foreach (var (name, value) in Settings)
        {
            settings[name] = value;
        }
    }
}

/// <summary>
/// Another instance of the API on <paramref name="first"/>'s database (its own process state: caches, leases,
/// background jobs), with the settings the test gives both (<paramref name="sameSettings"/>).
/// </summary>
public sealed class SecondInstance(ApiFactory first, IReadOnlyDictionary<string, string?> sameSettings) : ApiFactory
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        foreach (var (name, value) in sameSettings)
        {
            settings[name] = value;
        }

        settings["ConnectionStrings:Postgres"] = first.ConnectionString;
    }
}

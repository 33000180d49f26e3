namespace TheOpenMoney.Tests.Support;

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

namespace TheOpenMoney.Simulators;

/// <summary>
/// The deposit addresses the simulated processor generated, by account (any user-friendly spelling of an
/// address finds it) and by user, in creation order. Not thread-safe: <see cref="ProcessorState"/> calls it
/// under its lock.
/// </summary>
internal sealed class ProcessorAddresses
{
    private readonly List<AddressEntry> _all = [];
    private readonly Dictionary<string, AddressEntry> _byAccount = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<AddressEntry>> _byUser = new(StringComparer.Ordinal);

    public int Count => _all.Count;

    /// <summary>Generates a new basechain address for <paramref name="userId"/>, never one already handed out.</summary>
    public string Create(string userId, string currency, bool testnet)
    {
        while (true)
        {
            var address = TonAddress.CreateRandom(testnet);
            if (!TonAddress.TryParse(address, out var info, out _))
            {
                throw new InvalidOperationException("generated an unparsable address");
            }

            if (_byAccount.ContainsKey(info.AccountId))
            {
                continue;
            }

            Add(info.AccountId, new AddressEntry(userId, address, currency));
            return address;
        }
    }

    /// <summary>Addresses of <paramref name="userId"/> in creation order.</summary>
    public IReadOnlyList<AddressEntry> Of(string userId) =>
        _byUser.TryGetValue(userId, out var list) ? list.ToArray() : [];

    /// <summary>The first address of <paramref name="userId"/> for <paramref name="currency"/>, or null when it has none.</summary>
    public AddressEntry? FirstOf(string userId, string currency) =>
        _byUser.TryGetValue(userId, out var list) ? list.FirstOrDefault(a => a.Currency == currency) : null;

    /// <summary>The entry of a simulator-generated basechain address (any user-friendly spelling), or null.</summary>
    public AddressEntry? Lookup(string? address)
    {
        if (address is null)
        {
            return null;
        }

        return TonAddress.TryParse(address, out var info, out _) && info.Workchain == 0
            && _byAccount.TryGetValue(info.AccountId, out var entry)
            ? entry
            : null;
    }

    /// <summary>Every address in creation order, as the state file keeps them.</summary>
    public StoredAddress[] ToStored() => _all.Select(a => new StoredAddress(a.UserId, a.Address, a.Currency)).ToArray();

    /// <summary>Adds one address read from the state file; throws <see cref="InvalidDataException"/> when it makes no sense.</summary>
    public void Restore(StoredAddress stored)
    {
        if (string.IsNullOrEmpty(stored.UserId))
        {
            throw new InvalidDataException($"address {stored.Address}: user_id is empty");
        }

        if (!TonAddress.TryParse(stored.Address, out var info, out var error) || info.Workchain != 0)
        {
            throw new InvalidDataException($"address '{stored.Address}' is not a basechain address ({error ?? "workchain"})");
        }

        if (_byAccount.ContainsKey(info.AccountId))
        {
            throw new InvalidDataException($"address {stored.Address} appears twice");
        }

        Add(info.AccountId, new AddressEntry(stored.UserId, stored.Address, stored.Currency));
    }

    private void Add(string accountId, AddressEntry entry)
    {
        _byAccount.Add(accountId, entry);
        _all.Add(entry);
        if (!_byUser.TryGetValue(entry.UserId, out var list))
        {
            _byUser[entry.UserId] = list = [];
        }

        list.Add(entry);
    }
}

/// <summary>A generated address and its owner.</summary>
/// <param name="UserId">The user_id it was generated for.</param>
/// <param name="Address">Its user-friendly form, as generated.</param>
/// <param name="Currency">What the address receives: every deposit address belongs to one currency.</param>
internal sealed record AddressEntry(string UserId, string Address, string Currency);

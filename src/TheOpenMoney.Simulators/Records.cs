using System.Numerics;

namespace TheOpenMoney.Simulators;

/// <summary>A deposit stored by the simulator (visible or not yet visible).</summary>
/// <param name="Sequence">Insertion order; breaks ties between equal times.</param>
/// <param name="UserId">Owner of <paramref name="DepositAddress"/>.</param>
/// <param name="DepositAddress">Simulator-generated address the funds arrived at.</param>
/// <param name="Time">Unix seconds of the transaction.</param>
/// <param name="Amount">nanoTON, always &gt; 0.</param>
/// <param name="Comment">Text comment, null when there was none.</param>
/// <param name="SourceAddress">Sender, null when unknown.</param>
/// <param name="TxHash">Transaction hash (the same hash may repeat for injected duplicates).</param>
public sealed record DepositRecord(
    long Sequence,
    string UserId,
    string DepositAddress,
    long Time,
    BigInteger Amount,
    string? Comment,
    string? SourceAddress,
    string TxHash);

/// <summary>What a test injects through POST /_sim/deposits or <see cref="ProcessorState.InjectDeposit"/>.</summary>
public sealed record DepositInjection
{
    /// <summary>Credits the first address of this user when <see cref="DepositAddress"/> is not given.</summary>
    public string? UserId { get; init; }

    /// <summary>A simulator-generated address; wins over <see cref="UserId"/>.</summary>
    public string? DepositAddress { get; init; }

    /// <summary>nanoTON, must be &gt; 0.</summary>
    public BigInteger Amount { get; init; }

    public string? Comment { get; init; }

    public string? SourceAddress { get; init; }

    /// <summary>Unix seconds; defaults to now.</summary>
    public long? Time { get; init; }

    /// <summary>Defaults to 64 random hex characters.</summary>
    public string? TxHash { get; init; }

    /// <summary>Allows storing a tx_hash that is already stored (otherwise rejected with 409).</summary>
    public bool Duplicate { get; init; }
}

/// <summary>Total visible income of one deposit address.</summary>
public sealed record AddressIncome(string DepositAddress, BigInteger Amount);

/// <summary>A withdrawal accepted by POST /v1/withdrawal/send (it stays pending forever).</summary>
public sealed record WithdrawalRecord(
    long Id,
    string UserId,
    string QueryId,
    string Currency,
    BigInteger Amount,
    string Destination,
    string? Comment,
    string Status);

/// <summary>Answer of GET /v1/system/sync.</summary>
public readonly record struct SyncStatus(bool IsSynced, long LastBlockGenUtime);

/// <summary>One webhook push the background service is about to make.</summary>
internal sealed record WebhookWork(DepositRecord Deposit, string Endpoint, string? Token, long Generation);

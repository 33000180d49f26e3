using System.Numerics;

namespace TheOpenMoney.Simulators;

/// <summary>A deposit stored by the simulator (visible or not yet visible).</summary>
/// <param name="Sequence">Insertion order; breaks ties between equal times.</param>
/// <param name="UserId">Owner of <paramref name="DepositAddress"/>.</param>
/// <param name="DepositAddress">Simulator-generated address the funds arrived at.</param>
/// <param name="Time">Unix seconds of the transaction.</param>
/// <param name="Amount">Base units of <paramref name="Currency"/> (nanoTON for TON), always &gt; 0.</param>
/// <param name="Comment">Text comment, null when there was none.</param>
/// <param name="SourceAddress">Sender, null when unknown.</param>
/// <param name="TxHash">Transaction hash (the same hash may repeat for injected duplicates); empty for a raw row injected without one.</param>
/// <param name="Raw">
/// Set for a raw row (POST /_sim/deposits/raw): the processor serves <see cref="RawIncome.Income"/> verbatim, and
/// <paramref name="DepositAddress"/> is empty, <paramref name="Amount"/> zero and <paramref name="Time"/> the
/// injection time (used only for ordering, visibility and lag).
/// </param>
/// <param name="Currency">TON or a configured jetton: the currency of the address it came to (a raw row: the history it is in).</param>
public sealed record DepositRecord(
    long Sequence,
    string UserId,
    string DepositAddress,
    long Time,
    BigInteger Amount,
    string? Comment,
    string? SourceAddress,
    string TxHash,
    RawIncome? Raw = null,
    string Currency = ProcessorCurrencies.Ton);

/// <summary>The text of a raw row, served byte for byte (it need not be valid JSON).</summary>
/// <param name="Income">The income object's text inside history pages and GET /v1/deposit/income.</param>
/// <param name="WebhookBody">The webhook push body; null pushes <paramref name="Income"/>.</param>
public sealed record RawIncome(string Income, string? WebhookBody);

/// <summary>What a test injects through POST /_sim/deposits/raw or <see cref="ProcessorState.InjectRawDeposit"/>.</summary>
public sealed record RawDepositInjection
{
    /// <summary>Whose history the row appears in (default "orders"; need not have an address).</summary>
    public string UserId { get; init; } = "orders";

    /// <summary>The income object's text, written verbatim; must not be empty.</summary>
    public required string Income { get; init; }

    /// <summary>The hash GET /v1/deposit/income?tx_hash= finds the row under; null: not findable that way.</summary>
    public string? TxHash { get; init; }

    /// <summary>The webhook push body, verbatim; null pushes <see cref="Income"/>.</summary>
    public string? WebhookBody { get; init; }

    /// <summary>The currency whose history the row is in (<c>TON</c> when not given).</summary>
    public string? Currency { get; init; }
}

/// <summary>What a test injects through POST /_sim/deposits or <see cref="ProcessorState.InjectDeposit"/>.</summary>
public sealed record DepositInjection
{
    /// <summary>Credits the first address of this user when <see cref="DepositAddress"/> is not given.</summary>
    public string? UserId { get; init; }

    /// <summary>A simulator-generated address; wins over <see cref="UserId"/>.</summary>
    public string? DepositAddress { get; init; }

    /// <summary>
    /// <c>TON</c> when not given, or a configured jetton: with <see cref="UserId"/> the user's first address of that
    /// currency receives it; with <see cref="DepositAddress"/> it must be that address's currency.
    /// </summary>
    public string? Currency { get; init; }

    /// <summary>Base units of the currency (nanoTON for TON, 10⁻⁶ for USDT), must be &gt; 0.</summary>
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
public sealed record AddressIncome(string DepositAddress, BigInteger Amount, string Currency);

/// <summary>The currency names the simulator knows by heart; which ones it serves is <see cref="SimulatorOptions.Currencies"/>.</summary>
public static class ProcessorCurrencies
{
    public const string Ton = "TON";

    public const string Usdt = "USDT";
}

/// <summary>A withdrawal accepted by POST /v1/withdrawal/send; it moves pending → processing → processed (or failed).</summary>
/// <param name="Id">The processor's ID for it.</param>
/// <param name="UserId">The user_id it was sent for.</param>
/// <param name="QueryId">The caller's query_id: one withdrawal per query_id.</param>
/// <param name="Currency">TON or a jetton's name.</param>
/// <param name="Amount">Nanoton (or the jetton's base units).</param>
/// <param name="Destination">The address it goes to.</param>
/// <param name="Comment">The text comment of the transfer, if any.</param>
/// <param name="Status"><c>pending</c>, <c>processing</c>, <c>processed</c> or <c>failed</c>.</param>
/// <param name="AcceptedAt">Unix seconds when it was accepted (0 in state files from before money out: it moves at once).</param>
/// <param name="FailPlanned">It will end <c>failed</c> instead of <c>processed</c> (a test asked for it).</param>
/// <param name="TxHash">The transaction that sent it, once processed.</param>
public sealed record WithdrawalRecord(
    long Id,
    string UserId,
    string QueryId,
    string Currency,
    BigInteger Amount,
    string Destination,
    string? Comment,
    string Status,
    long AcceptedAt = 0,
    bool FailPlanned = false,
    string? TxHash = null);

/// <summary>Answer of GET /v1/system/sync.</summary>
public readonly record struct SyncStatus(bool IsSynced, long LastBlockGenUtime);

/// <summary>One webhook push the background service is about to make.</summary>
internal sealed record WebhookWork(DepositRecord Deposit, string Endpoint, string? Token, long Generation);

using System.Numerics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TheOpenMoney.Simulators;

/// <summary>A generated address and its owner, as the state file keeps it (creation order).</summary>
internal sealed record StoredAddress(string UserId, string Address, string Currency);

/// <summary>
/// What <see cref="SimulatorOptions.StateFile"/> keeps, copied from <see cref="ProcessorState"/> under its
/// lock: only immutable records, so it is serialised and written outside the lock.
/// </summary>
/// <param name="Changes">The state's change count when copied (the persister saves when it moved).</param>
/// <param name="NextSequence">The last sequence handed out (the next deposit gets one more).</param>
/// <param name="LagSeconds">The processor's lag.</param>
/// <param name="Addresses">Every generated address, in creation order.</param>
/// <param name="Deposits">Every deposit, raw rows and duplicates included, in sequence order.</param>
/// <param name="Unpushed">Sequences of the deposits not yet pushed to the webhook with a 200 (the push cursor).</param>
/// <param name="Withdrawals">Every withdrawal, by id.</param>
internal sealed record ProcessorSnapshot(
    long Changes,
    long NextSequence,
    long LagSeconds,
    IReadOnlyList<StoredAddress> Addresses,
    IReadOnlyList<DepositRecord> Deposits,
    IReadOnlySet<long> Unpushed,
    IReadOnlyList<WithdrawalRecord> Withdrawals);

/// <summary>
/// Reads and writes the processor's state file: one JSON document (format version 1), replaced atomically
/// (written to a temporary file in the same folder, then renamed over the old one).
/// </summary>
internal static class ProcessorStateFile
{
    public const string Format = "theopenmoney-simulator-processor-state";
    public const int Version = 1;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="state"/> when the file exists; does nothing when it does
    /// not. A file that cannot be read or makes no sense throws <see cref="SimulatorStateFileException"/> naming it,
    /// so start-up fails instead of continuing empty and then overwriting it.
    /// </summary>
    /// <returns>Whether a file was loaded.</returns>
    public static bool Load(string path, ProcessorState state)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(state);
        var fullPath = Path.GetFullPath(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(fullPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(fullPath, ex.Message, ex);
        }

        try
        {
            var document = JsonSerializer.Deserialize<StateDocument>(bytes, Options)
                ?? throw new InvalidDataException("the document is null");
            state.Restore(ToSnapshot(document));
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or NotSupportedException)
        {
            throw Unreadable(fullPath, ex.Message, ex);
        }
    }

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public static async Task WriteAsync(string path, ProcessorSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"no folder in {fullPath}", nameof(path));
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                await JsonSerializer.SerializeAsync(stream, ToDocument(snapshot), Options, cancellationToken);
                await stream.WriteAsync("\n"u8.ToArray(), cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            // rename(2): readers see the old file or the new one, never a half-written one.
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static SimulatorStateFileException Unreadable(string path, string reason, Exception inner) => new(path, reason, inner);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray temporary file is harmless (the name is unique).
        }
    }

    private static StateDocument ToDocument(ProcessorSnapshot snapshot) => new(
        Format,
        Version,
        snapshot.NextSequence,
        snapshot.LagSeconds,
        snapshot.Addresses.Select(a => new StateAddress(a.UserId, a.Address, Written(a.Currency))).ToArray(),
        snapshot.Deposits.Select(d => new StateDeposit(
            d.Sequence,
            d.UserId,
            d.Time,
            d.TxHash,
            !snapshot.Unpushed.Contains(d.Sequence),
            d.Raw is null ? d.DepositAddress : null,
            d.Raw is null ? Json.Format(d.Amount) : null,
            d.Comment,
            d.SourceAddress,
            d.Raw?.Income,
            d.Raw?.WebhookBody,
            Written(d.Currency))).ToArray(),
        snapshot.Withdrawals.Select(w => new StateWithdrawal(
            w.Id, w.UserId, w.QueryId, w.Currency, Json.Format(w.Amount), w.Destination, w.Status, w.Comment, w.AcceptedAt, w.FailPlanned, w.TxHash)).ToArray());

    private static ProcessorSnapshot ToSnapshot(StateDocument document)
    {
        if (document.Format != Format)
        {
            throw new InvalidDataException($"format is '{document.Format}', expected '{Format}'");
        }

        if (document.Version != Version)
        {
            throw new InvalidDataException($"version {document.Version} is not supported (this simulator reads version {Version})");
        }

        var unpushed = new HashSet<long>();
        var deposits = new List<DepositRecord>(document.Deposits.Count);
        foreach (var d in document.Deposits)
        {
            if (!d.Pushed)
            {
                unpushed.Add(d.Sequence);
            }

            if (d.RawIncome is not null)
            {
                if (d.DepositAddress is not null || d.Amount is not null || d.Comment is not null || d.SourceAddress is not null)
                {
                    throw new InvalidDataException($"deposit {d.Sequence}: a raw row has only raw_income, raw_webhook_body, tx_hash and time");
                }

                deposits.Add(new DepositRecord(
                    d.Sequence, d.UserId, string.Empty, d.Time, BigInteger.Zero, null, null, d.TxHash, new RawIncome(d.RawIncome, d.RawWebhookBody), Read(d.Currency)));
                continue;
            }

            if (d.RawWebhookBody is not null)
            {
                throw new InvalidDataException($"deposit {d.Sequence}: raw_webhook_body without raw_income");
            }

            var amount = Json.ParseDigits(d.Amount) ?? throw new InvalidDataException($"deposit {d.Sequence}: amount '{d.Amount}' is not a non-negative integer");
            deposits.Add(new DepositRecord(
                d.Sequence, d.UserId, d.DepositAddress ?? string.Empty, d.Time, amount, d.Comment, d.SourceAddress, d.TxHash, null, Read(d.Currency)));
        }

        var withdrawals = document.Withdrawals.Select(w => new WithdrawalRecord(
            w.Id,
            w.UserId,
            w.QueryId,
            w.Currency,
            Json.ParseDigits(w.Amount) ?? throw new InvalidDataException($"withdrawal {w.Id}: amount '{w.Amount}' is not a non-negative integer"),
            w.Destination,
            w.Comment,
            w.Status is "pending" or "processing" or "processed" or "failed" ? w.Status : throw new InvalidDataException($"withdrawal {w.Id}: status '{w.Status}' is not one the processor uses"),
            w.AcceptedAt,
            w.FailPlanned,
            w.TxHash)).ToArray();

        return new ProcessorSnapshot(
            0,
            document.NextSequence,
            document.LagSeconds,
            document.Addresses.Select(a => new StoredAddress(a.UserId, a.Address, Read(a.Currency))).ToArray(),
            deposits,
            unpushed,
            withdrawals);
    }

    // The file's shape. Non-nullable members are required (RespectNullableAnnotations + required constructor parameters).
    private sealed record StateDocument(
        string Format,
        int Version,
        long NextSequence,
        long LagSeconds,
        IReadOnlyList<StateAddress> Addresses,
        IReadOnlyList<StateDeposit> Deposits,
        IReadOnlyList<StateWithdrawal> Withdrawals);

    // TON is written as no currency at all: a TON-only state file reads and writes byte for byte as before currencies.
    private static string? Written(string currency) => currency == ProcessorCurrencies.Ton ? null : currency;

    private static string Read(string? currency) => currency switch
    {
        null => ProcessorCurrencies.Ton,
        "" or ProcessorCurrencies.Ton => throw new InvalidDataException($"currency '{currency}' is written as no currency"),
        _ => currency,
    };

    private sealed record StateAddress(string UserId, string Address, string? Currency = null);

    /// <summary>A deposit; a raw row has <see cref="RawIncome"/> and neither address, amount, comment nor source.</summary>
    private sealed record StateDeposit(
        long Sequence,
        string UserId,
        long Time,
        string TxHash,
        bool Pushed,
        string? DepositAddress = null,
        string? Amount = null,
        string? Comment = null,
        string? SourceAddress = null,
        string? RawIncome = null,
        string? RawWebhookBody = null,
        string? Currency = null);

    private sealed record StateWithdrawal(
        long Id,
        string UserId,
        string QueryId,
        string Currency,
        string Amount,
        string Destination,
        string Status,
        string? Comment = null,
        long AcceptedAt = 0,
        bool FailPlanned = false,
        string? TxHash = null);
}

namespace TheOpenMoney.Api.Payments;

/// <summary>
/// <c>processor_cursors</c>: per processor user_id and currency (the processor keeps a history for each), the history offset the next poll starts from, when
/// the whole history was last re-read, and <c>synced_to</c>, the instant up to which every deposit has
/// been read (what expiry may trust).
/// </summary>
public sealed class ProcessorCursors(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>The cursor of <paramref name="userId"/>'s <paramref name="currency"/> history, created at offset 0 the first time.</summary>
    public async Task<ProcessorCursor> LoadAsync(string userId, string currency, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO processor_cursors (processor_user_id, currency, next_offset, updated_at) VALUES ($1, $3, 0, $2)
            ON CONFLICT (processor_user_id, currency) DO UPDATE SET processor_user_id = EXCLUDED.processor_user_id
            RETURNING next_offset, last_full_scan_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = currency });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ProcessorCursor
        {
            ProcessorUserId = userId,
            Currency = currency,
            NextOffset = reader.GetInt64(0),
            LastFullScanAt = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
        };
    }

    /// <summary>Moves the cursor forward to <paramref name="offset"/> (never back).</summary>
    public async Task AdvanceAsync(string userId, string currency, long offset, CancellationToken cancellationToken)
    {
        await using var advance = dataSource.CreateCommand(
            "UPDATE processor_cursors SET next_offset = GREATEST(next_offset, $2), updated_at = $3 WHERE processor_user_id = $1 AND currency = $4");
        advance.Parameters.Add(new NpgsqlParameter { Value = userId });
        advance.Parameters.Add(new NpgsqlParameter { Value = offset });
        advance.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        advance.Parameters.Add(new NpgsqlParameter { Value = currency });
        await advance.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The history was read to its end: every deposit dated up to the block the processor had scanned
    /// before this read (<paramref name="sync"/>, when it was synced) is now stored.
    /// </summary>
    public async Task MarkReadAsync(string userId, string currency, ProcessorSync sync, bool fullScan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sync);
        await using var done = dataSource.CreateCommand(
            """
            UPDATE processor_cursors
               SET last_success_at = $2, updated_at = $2,
                   synced_to = CASE WHEN $3 THEN GREATEST(coalesce(synced_to, $4), $4) ELSE synced_to END,
                   last_full_scan_at = CASE WHEN $5 THEN $2 ELSE last_full_scan_at END
             WHERE processor_user_id = $1 AND currency = $6
            """);
        done.Parameters.Add(new NpgsqlParameter { Value = userId });
        done.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        done.Parameters.Add(new NpgsqlParameter { Value = sync.IsSynced });
        done.Parameters.Add(new NpgsqlParameter { Value = sync.LastBlockAt });
        done.Parameters.Add(new NpgsqlParameter { Value = fullScan });
        done.Parameters.Add(new NpgsqlParameter { Value = currency });
        await done.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The instant up to which every deposit of <paramref name="userId"/>'s <paramref name="currency"/> history has been read; null until known.</summary>
    public async Task<DateTimeOffset?> SyncedToAsync(string userId, string currency, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT synced_to FROM processor_cursors WHERE processor_user_id = $1 AND currency = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = currency });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0) ? reader.GetFieldValue<DateTimeOffset>(0) : null;
    }
}

using System.Security.Cryptography;
using TheOpenMoney.Api.Infrastructure.Paging;
using TheOpenMoney.Api.Payments;
using TheOpenMoney.Api.Telegram;

namespace TheOpenMoney.Api.MoneyOut;

/// <summary>A partner's withdrawals: ask (hold + Telegram confirmation), list, read, cancel.</summary>
public sealed class WithdrawalService(
    NpgsqlDataSource dataSource,
    UnitOfWork unitOfWork,
    WithdrawalLifecycle lifecycle,
    ITelegramMessenger messenger,
    TimeProvider time,
    IOptions<WithdrawalOptions> options,
    IOptions<PaymentProcessorOptions> processor)
{
    /// <summary>
    /// Holds amount + fee (base units of <paramref name="currency"/>, from that balance) and answers <c>awaiting_confirmation</c>; the engine asks the partner in Telegram
    /// at once. Without the bot nobody can confirm: 503 and nothing held. A test withdrawal needs neither the
    /// processor nor the bot: it waits for the sandbox's confirm (<c>POST /sandbox/withdrawals/{id}/confirm</c>).
    /// </summary>
    public Task<WithdrawalResponse> RequestAsync(long partnerId, bool livemode, string currency, long amount, string destination, CancellationToken cancellationToken)
    {
        if (livemode)
        {
            EnsureLiveMoneyOutRuns();
        }

        var settings = options.Value;
        var (fee, _, dailyLimit) = settings.InUnitsOf(currency);
        var salt = RandomNumberGenerator.GetBytes(16);
        return unitOfWork.RunAsync(
            async token => WithdrawalResponse.From(await lifecycle.RequestAsync(
                partnerId,
                livemode,
                currency,
                amount,
                fee,
                TonAddress.ToNonBounceable(destination),
                time.GetUtcNow() + settings.ConfirmWithin,
                salt,
                dailyLimit,
                token)),
            cancellationToken);
    }

    /// <summary>The sandbox's confirm of a test withdrawal (completed, or failed for an amount ending in .13); 404 for anything but the test key's own, 409 when it is not awaiting confirmation.</summary>
    public async Task<WithdrawalResponse> SettleInSandboxAsync(long partnerId, long id, CancellationToken cancellationToken)
    {
        var (withdrawal, settled) = await lifecycle.SettleInSandboxAsync(partnerId, id, cancellationToken) ?? throw ApiException.NotFound("withdrawal");
        if (!settled)
        {
            throw ApiException.Conflict(
                ErrorCodes.InvalidState,
                $"withdrawal {id} is {WithdrawalMachine.Text(withdrawal.Status)}; only one awaiting confirmation (and not past confirm_by) can be confirmed");
        }

        return WithdrawalResponse.From(withdrawal);
    }

    /// <summary>Live money out needs the processor (to send) and the bot (to confirm): 503, nothing held, without either.</summary>
    private void EnsureLiveMoneyOutRuns()
    {
        if (!processor.Value.Enabled)
        {
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "money out is not available on this server (no payment processor); nothing was held")
            {
                RetryAfterSeconds = 60,
            };
        }

        if (!messenger.Enabled)
        {
            throw new ApiException(
                StatusCodes.Status503ServiceUnavailable,
                ErrorCodes.ServiceUnavailable,
                "withdrawals are confirmed in the Telegram bot, which is not running on this server; nothing was held")
            {
                RetryAfterSeconds = 60,
            };
        }
    }

    /// <summary>Cancels a withdrawal not yet asked of the processor (the hold given back); a cancelled one answers again; otherwise 409.</summary>
    public async Task<WithdrawalResponse> CancelAsync(long partnerId, long id, CancellationToken cancellationToken)
    {
        var (withdrawal, cancelled) = await lifecycle.CancelAsync(partnerId, id, "cancelled through the API", cancellationToken) ?? throw ApiException.NotFound("withdrawal");
        if (!cancelled && withdrawal.Status != WithdrawalStatus.Cancelled)
        {
            throw ApiException.Conflict(
                ErrorCodes.WithdrawalNotCancellable,
                $"withdrawal {id} is {WithdrawalMachine.Text(withdrawal.Status)}; only one not yet sent can be cancelled");
        }

        return WithdrawalResponse.From(withdrawal);
    }

    public async Task<WithdrawalResponse> GetAsync(long partnerId, long id, CancellationToken cancellationToken) =>
        WithdrawalResponse.From(await FindAsync(partnerId, id, cancellationToken));

    /// <summary>The partner's withdrawals, newest first.</summary>
    public async Task<Page<WithdrawalResponse>> ListAsync(long partnerId, PageQuery page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var items = new List<WithdrawalResponse>();
        await using (var command = dataSource.CreateCommand(
            $"SELECT {Withdrawal.Columns} FROM withdrawals WHERE partner_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = page.PageSize() });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = page.RowsToSkip() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(WithdrawalResponse.From(Withdrawal.Read(reader)));
            }
        }

        await using var count = dataSource.CreateCommand("SELECT count(*) FROM withdrawals WHERE partner_id = $1");
        count.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        return new Page<WithdrawalResponse>(items, (int)(long)(await count.ExecuteScalarAsync(cancellationToken))!, page.PageSize(), page.RowsToSkip());
    }

    /// <summary>The partner's withdrawal (404 for another partner's, never saying it exists).</summary>
    private async Task<Withdrawal> FindAsync(long partnerId, long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Withdrawal.Columns} FROM withdrawals WHERE id = $1 AND partner_id = $2");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = partnerId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Withdrawal.Read(reader) : throw ApiException.NotFound("withdrawal");
    }
}

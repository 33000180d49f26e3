using TheOpenMoney.Api.Infrastructure.Cli;

namespace TheOpenMoney.Api.Partners;

/// <summary>
/// <c>keys create --telegram-user-id N [--username U] [--test]</c>: a new key on stdout (one line, nothing
/// else); the partner's old key of that mode is revoked. <c>--test</c> issues an <c>osk_test_</c> key (test mode).
/// </summary>
public sealed class KeysCreateCommand : IOperatorCommand
{
    public string Verb => "keys create";

    public string Usage => "keys create --telegram-user-id N [--username U] [--test]";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(stdout);
        if (!line.TryTelegramUserId(out var userId))
        {
            return OperatorCommandLine.BadUsage;
        }

        var issued = await services.GetRequiredService<PartnerKeyService>().IssueAsync(userId, line.Get("username"), livemode: !line.Has("test"), cancellationToken);
        await stdout.WriteLineAsync(issued.Plaintext);
        return 0;
    }
}

/// <summary><c>keys revoke --telegram-user-id N [--test]</c>: the partner's active key (of that mode) stops working.</summary>
public sealed class KeysRevokeCommand : IOperatorCommand
{
    public string Verb => "keys revoke";

    public string Usage => "keys revoke --telegram-user-id N [--test]";

    public async Task<int> RunAsync(OperatorCommandLine line, IServiceProvider services, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!line.TryTelegramUserId(out var userId))
        {
            return OperatorCommandLine.BadUsage;
        }

        var revoked = await services.GetRequiredService<PartnerKeyService>().RevokeAsync(userId, livemode: !line.Has("test"), cancellationToken);
        await stderr.WriteLineAsync(revoked > 0 ? "key revoked" : "no active key for that partner");
        return 0;
    }
}

using Microsoft.Extensions.DependencyInjection.Extensions;
using TheOpenMoney.Api.Payments;

namespace TheOpenMoney.Tests.Telegram;

/// <summary>
/// The real API with the bot switched on, talking to a <see cref="FakeBotApi"/> on 127.0.0.1 over
/// real sockets. Short long polls and backoffs keep the tests quick; top-up addresses come from a
/// stub so <c>/balance</c> has one to show.
/// </summary>
public class BotFactory : ApiFactory
{
    public const string Token = "123456789:AAH-fake_bot_token-ZyXwVuTsRqPoNmLkJi";
    public const string TopupAddress = "UQBvW8Z5huBkMJYdnfAEM5JqTNkuWX3diqYENkWsIL0XggGG";

    /// <summary>How often an instance that does not lead the poller tries to (<c>Telegram:LeaderRetryInterval</c>).</summary>
    public static readonly TimeSpan LeaderRetryInterval = TimeSpan.FromMilliseconds(200);

    public FakeBotApi Bot { get; private set; } = null!;

    protected virtual string Mode => "Polling";

    public override async Task InitializeAsync()
    {
        Bot = await FakeBotApi.StartAsync(Token);
        await StartAppAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Bot.DisposeAsync();
    }

    /// <summary>A fresh database and the app on it.</summary>
    protected virtual Task StartAppAsync() => base.InitializeAsync();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Telegram:BotToken"] = Token;
        settings["Telegram:ApiBaseUrl"] = Bot.Url;
        settings["Telegram:Mode"] = Mode;
        settings["Telegram:PublicApiUrl"] = "https://api.example.test";
        settings["Telegram:LongPollTimeout"] = "00:00:01";
        settings["Telegram:RetryBaseDelay"] = "00:00:00.050";
        settings["Telegram:MaxRetryDelay"] = "00:00:00.400";
        settings["Telegram:LeaderRetryInterval"] = LeaderRetryInterval.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        // Even with HttpClient logging wide open (it prints request URLs), the token must not reach a log line.
        settings["Logging:LogLevel:System.Net.Http.HttpClient"] = "Trace";
    }

    protected override void ConfigureTestServices(IServiceCollection services)
    {
        services.RemoveAll<IPaymentAddresses>();
        services.AddSingleton<IPaymentAddresses, StubAddresses>();
    }

    private sealed class StubAddresses : IPaymentAddresses
    {
        public Task<string> GetOrdersAddressAsync(CancellationToken cancellationToken) => Task.FromResult(OrdersAddress);

        public Task<string?> GetTopupAddressAsync(long partnerId, CancellationToken cancellationToken) => Task.FromResult<string?>(TopupAddress);
    }
}

/// <summary>The same in Webhook mode: Telegram's pushes are posted to <c>/telegram/webhook</c> by the test.</summary>
public sealed class WebhookBotFactory : BotFactory
{
    public const string Secret = "s3cret-Webhook_token";
    public const string WebhookUrl = "https://bot.example.test/telegram/webhook";

    protected override string Mode => "Webhook";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Telegram:WebhookSecret"] = Secret;
        settings["Telegram:WebhookUrl"] = WebhookUrl;
    }
}

/// <summary>
/// A second instance of the deployment: the same database as <paramref name="first"/>, its own fake Bot API, and
/// a clock that counts the waits it begins (<see cref="Time"/>), so a test can tell how often it has tried to lead.
/// </summary>
public sealed class SecondBotInstance(BotFactory first) : BotFactory
{
    public CountingTimeProvider Time { get; } = new();

    protected override void ConfigureTestServices(IServiceCollection services)
    {
        base.ConfigureTestServices(services);
        services.AddSingleton<TimeProvider>(Time);
    }

    protected override Task StartAppAsync()
    {
        _ = Services;
        return Task.CompletedTask;
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["ConnectionStrings:Postgres"] = first.ConnectionString;
    }
}

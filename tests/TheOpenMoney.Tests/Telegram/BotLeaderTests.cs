using TheOpenMoney.Api.Infrastructure.Background;
using TheOpenMoney.Api.Telegram;

namespace TheOpenMoney.Tests.Telegram;

/// <summary>Two instances of one deployment in Polling mode: one polls, the other takes over when it stops.</summary>
public sealed class BotLeaderTests
{
    [Fact]
    public async Task Only_one_instance_polls_and_another_takes_over_when_it_stops()
    {
        var first = new BotFactory();
        await first.InitializeAsync();
        SecondBotInstance? second = null;
        var firstStopped = false;
        try
        {
            await Eventually.WaitAsync(() => Task.FromResult(first.Bot.CallsOf("getUpdates").Count), n => n > 0, "the first instance polling");
            second = new SecondBotInstance(first);
            await second.InitializeAsync();
            await Eventually.WaitAsync(() => Task.FromResult(second.Bot.CallsOf("setMyCommands").Count), n => n > 0, "the second instance started");

            // Several of its leader attempts go by without it polling: each refused attempt begins a wait of the
            // leader retry interval (every 200 ms), so five of those waits are five refusals.
            await second.Time.WaitForAsync(BotFactory.LeaderRetryInterval, 5, "five refused leader attempts");
            Assert.Empty(second.Bot.CallsOf("getUpdates"));
            Assert.False(second.Services.GetRequiredService<JobStatusRegistry>().Get<TelegramUpdatePoller>().IsLeader);
            const long user = 930_001;
            second.Bot.EnqueueMessage(user, "/help");

            var stoppedAt = DateTimeOffset.UtcNow;
            await first.DisposeAsync();
            firstStopped = true;

            await second.Bot.WaitForRepliesAsync(user);
            Assert.All(second.Bot.CallsOf("getUpdates"), c => Assert.True(c.At >= stoppedAt));
            Assert.True(second.Services.GetRequiredService<JobStatusRegistry>().Get<TelegramUpdatePoller>().IsLeader);
        }
        finally
        {
            if (!firstStopped)
            {
                await first.DisposeAsync();
            }

            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }
}

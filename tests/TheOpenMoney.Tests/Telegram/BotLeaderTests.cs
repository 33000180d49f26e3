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

            // Several of its leader attempts (every 200 ms) go by without it polling.
            await Task.Delay(TimeSpan.FromSeconds(1));
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

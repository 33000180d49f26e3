namespace TheOpenMoney.Tests.Support;

/// <summary>
/// The Telegram user ids test partners are created under, from one counter for the whole test run: no two
/// tests, in one class or in two (two factories may share a database, as a second instance does), ever get
/// the same partner by accident. Use <see cref="PartnerApi.CreateAsync(ApiFactory)"/>, or
/// <see cref="NextTelegramUserId"/> where the id itself is needed (the CLI's <c>--telegram-user-id</c>, a key
/// issued twice to one user).
/// <para>
/// Ids a test fixes on purpose stay literals in that test, below <see cref="FirstId"/> so the counter never
/// meets them: the Telegram users the fake Bot API is told about in <c>Telegram/</c> (each test's own
/// conversation, with group chats numbered after them) and the malformed ids the CLI must refuse.
/// </para>
/// </summary>
public static class TestPartners
{
    /// <summary>The first id handed out; every fixed id in the tests is below it.</summary>
    public const long FirstId = 1_000_001;

    private static long s_last = FirstId - 1;

    /// <summary>A Telegram user id no other test has used in this run.</summary>
    public static long NextTelegramUserId() => Interlocked.Increment(ref s_last);
}

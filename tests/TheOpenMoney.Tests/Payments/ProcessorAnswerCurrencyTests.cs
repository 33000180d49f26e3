using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Money;
using TheOpenMoney.Api.Payments;

namespace TheOpenMoney.Tests.Payments;

/// <summary>
/// The processor's answer for one transaction (<c>GET /v1/deposit/income</c>) names the currency its amount counts.
/// Whatever that field holds (missing, another currency, the wrong case, a number, control characters, a megabyte),
/// only exactly a currency we take (TON, and USDT while it is on) is read as a deposit, in that currency; everything
/// else is a rejected row for the quarantine, with a reason that never echoes unreadable text. A real HTTP server on
/// 127.0.0.1 plays the processor.
/// </summary>
public sealed class ProcessorAnswerCurrencyTests : IAsyncLifetime
{
    private const string Income = """{"deposit_address":"UQC2Ttw51lkpMeynPSb5YeHKMu152koHzptMpy6mAVDO9y6F","time":1700000000,"amount":"417000000","comment":"STARS-abc123","tx_hash":"aa11"}""";

    private FakeHttpServer _processor = null!;
    private HttpClient _http = null!;
    private ProcessorClient _client = null!;

    public async Task InitializeAsync()
    {
        _processor = await FakeHttpServer.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_processor.Url + "/") };
        _client = Client(new UsdtOptions());
    }

    private ProcessorClient Client(UsdtOptions usdt) =>
        new(_http, new ProcessorCurrencyNames(Options.Create(new PaymentProcessorOptions()), Options.Create(usdt)), TimeProvider.System);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _processor.DisposeAsync();
    }

    [Fact]
    public async Task Our_currency_is_read_as_a_deposit()
    {
        _processor.RespondJson(200, "{\"currency\":\"TON\",\"income\":" + Income + "}");

        var row = await _client.IncomeAsync("aa11", CancellationToken.None);

        Assert.NotNull(row?.Deposit);
        Assert.Equal(417_000_000, row.Deposit.AmountNanoton);
        Assert.Equal("TON", row.Deposit.Currency);
        Assert.Null(row.Rejected);
    }

    [Fact]
    public async Task Usdt_is_read_as_a_usdt_deposit_while_it_is_on_and_held_when_it_is_off()
    {
        _processor.RespondJson(200, "{\"currency\":\"USDT\",\"income\":" + Income + "}");

        var on = await _client.IncomeAsync("aa11", CancellationToken.None);
        var off = await Client(new UsdtOptions { UsdtMaster = "" }).IncomeAsync("aa11", CancellationToken.None);

        Assert.Equal("USDT", on?.Deposit?.Currency);
        Assert.Equal(417_000_000, on?.Deposit?.AmountNanoton);
        Assert.Null(off?.Deposit);
        Assert.StartsWith(ProcessorClient.ForeignCurrencyReason + "USDT is not one of TON", off?.Rejected?.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_processor_name_of_usdt_is_configurable_and_ours_is_not_taken_then()
    {
        _processor.RespondJson(200, "{\"currency\":\"USDT\",\"income\":" + Income + "}");
        var renamed = Client(new UsdtOptions { UsdtCurrency = "jUSDT" });

        var usdtNamedOurWay = await renamed.IncomeAsync("aa11", CancellationToken.None);
        _processor.RespondJson(200, "{\"currency\":\"jUSDT\",\"income\":" + Income + "}");
        var usdtNamedTheirWay = await renamed.IncomeAsync("aa11", CancellationToken.None);

        Assert.Null(usdtNamedOurWay?.Deposit);
        Assert.Equal("USDT", usdtNamedTheirWay?.Deposit?.Currency);
    }

    public static TheoryData<string, string> Foreign => new()
    {
        { "\"JETTON\"", "JETTON is not one of TON, USDT" },
        { "\"ton\"", "ton is not one of TON, USDT" },
        { "\"usdt\"", "usdt is not one of TON, USDT" },
        { "\"TON \"", "(unreadable) is not one of TON, USDT" },
        { "\"TON\\u0000\"", "(unreadable) is not one of TON, USDT" },
        { "\"U\\r\\nSDT\"", "(unreadable) is not one of TON, USDT" },
        { "\"" + new string('T', 1_000_000) + "\"", "(unreadable) is not one of TON, USDT" },
        { "5", "names none" },
        { "null", "names none" },
        { "[\"TON\"]", "names none" },
    };

    [Theory]
    [MemberData(nameof(Foreign))]
    public async Task Any_other_currency_field_is_a_rejected_row_with_a_safe_reason(string currencyJson, string reason)
    {
        _processor.RespondJson(200, "{\"currency\":" + currencyJson + ",\"income\":" + Income + "}");

        var row = await _client.IncomeAsync("aa11", CancellationToken.None);

        Assert.NotNull(row);
        Assert.Null(row.Deposit);
        Assert.NotNull(row.Rejected);
        Assert.StartsWith(ProcessorClient.ForeignCurrencyReason, row.Rejected.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, row.Rejected.Reason, StringComparison.Ordinal);
        Assert.True(row.Rejected.Reason.Length < 200 && !row.Rejected.Reason.Any(char.IsControl), row.Rejected.Reason[..Math.Min(200, row.Rejected.Reason.Length)]);
        Assert.Equal("aa11", row.Rejected.TxHash);
        Assert.Null(row.Rejected.AmountNanoton);
    }

    [Fact]
    public async Task An_answer_without_the_currency_field_is_a_rejected_row()
    {
        _processor.RespondJson(200, "{\"income\":" + Income + "}");

        var row = await _client.IncomeAsync("aa11", CancellationToken.None);

        Assert.Null(row?.Deposit);
        Assert.Contains("names none", row?.Rejected?.Reason, StringComparison.Ordinal);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace TheOpenMoney.Simulators;

/// <summary>
/// Pushes visible, not yet pushed deposits to the configured webhook one at a time, in
/// visibility order (a raw row's webhook body, else its income text, verbatim). A 200 marks a deposit pushed; any other answer or a connection
/// failure disables the webhook (as bicycle stops pushing), leaving the deposit unpushed.
/// </summary>
internal sealed class WebhookPusher(ProcessorState state, ILogger<WebhookPusher> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (state.NextWebhookWork() is { } work)
                {
                    var delivered = await PushAsync(work, stoppingToken);
                    state.CompleteWebhookWork(work, delivered);
                    if (!delivered)
                    {
                        break;
                    }
                }

                await Task.Delay(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<bool> PushAsync(WebhookWork work, CancellationToken stoppingToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, work.Endpoint)
        {
            Content = new StringContent(Json.WebhookBody(work.Deposit), Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(work.Token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", work.Token);
        }

        try
        {
            using var response = await _http.SendAsync(request, stoppingToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return true;
            }

            logger.LogWarning(
                "Webhook {Endpoint} answered {Status} for deposit {Sequence} (tx {TxHash}); webhook disabled",
                work.Endpoint,
                (int)response.StatusCode,
                work.Deposit.Sequence,
                work.Deposit.TxHash);
            return false;
        }
        catch (Exception ex) when (ex is HttpRequestException
            || (ex is TaskCanceledException && !stoppingToken.IsCancellationRequested))
        {
            logger.LogWarning(
                "Webhook {Endpoint} failed for deposit {Sequence} (tx {TxHash}) ({Error}); webhook disabled",
                work.Endpoint,
                work.Deposit.Sequence,
                work.Deposit.TxHash,
                ex.Message);
            return false;
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}

// A partner's day through the client Kiota 1.38 generates from openapi/v1.json (Generated/, unedited): no
// casts, no dynamic, no hand-written JSON for the partner API; every TON amount compared exactly, as a decimal
// and as its nanoTON twin. Kiota types every property as optional, so values are taken with Present(...).
// After the live day, a test-mode day with the same partner's osk_test_ key (TestModeDayAsync). Environment: see
// PartnerDay.
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Http.HttpClientLibrary;
using TheOpenMoney.ClientCheck;
using TheOpenMoney.ClientCheck.Kiota.Client;
using TheOpenMoney.ClientCheck.Kiota.Client.Models;
using static TheOpenMoney.ClientCheck.PartnerDay;

using var day = new PartnerDay("Kiota 1.38");
return await day.RunAsync(async day =>
{
    using var http = day.CreateHttpClient();
    using var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = day.ApiUrl };
    var api = new TheOpenMoneyClient(adapter).Api.V1;
    var simulator = day.Simulator();
    await using var receiver = await WebhookReceiver.StartAsync(day.WebhookPort);

    day.Step("health and partner");
    var health = Present((await api.Health.GetAsync())?.Data, "health");
    var partner = Present((await api.Partner.GetAsync())?.Data, "partner");
    Note($"health {health.Status}; partner {partner.Id}, key {partner.ApiKey?.Prefix}");

    day.Step("pricing: rate, fees, Stars and Premium estimates, amounts exact");
    var rate = Present((await api.Pricing.TonRate.GetAsync())?.Data, "rate");
    var fees = Present((await api.Pricing.Fee.GetAsync())?.Data, "fees");
    Check(rate.TonUsd > 0m, "ton_usd is positive");
    var step = Money.Exact(fees.TonRoundingStep, fees.NanotonRoundingStep, "ton_rounding_step");
    var starsEstimate = Present((await api.Pricing.Estimate.Stars.GetAsync(r => r.QueryParameters.Quantity = 100))?.Data, "stars estimate");
    var premiumEstimate = Present((await api.Pricing.Estimate.Premium.GetAsync(r => r.QueryParameters.Months = 3))?.Data, "premium estimate");
    var starsNano = Money.Exact(starsEstimate.PriceTon, starsEstimate.PriceNanoton, "stars estimate price");
    Money.Exact(premiumEstimate.PriceTon, premiumEstimate.PriceNanoton, "premium estimate price");
    Check(starsEstimate.StarsAmount == 100 && premiumEstimate.PremiumMonths == 3, "the estimates are for what was asked");
    Check(starsNano % step == 0, "the price is a multiple of the rounding step");
    Note($"1 TON = {rate.TonUsd} USD; 100 Stars = {starsEstimate.PriceTon} TON = {starsEstimate.PriceNanoton} nanoTON");

    day.Step("recipient checks");
    var pandus = Present((await api.Recipients.Stars.GetAsync(r => r.QueryParameters.Username = "@pandus"))?.Data, "recipient");
    Check(pandus is { CanReceive: true, Reason: null, Username: "pandus" }, "pandus can receive Stars");
    var subscribed = Present((await api.Recipients.Premium.GetAsync(r => { r.QueryParameters.Username = "premium_pandus"; r.QueryParameters.Months = 3; }))?.Data, "recipient");
    Check(subscribed is { CanReceive: false, Reason: RecipientReason.ALREADY_PREMIUM }, "premium_pandus already has Premium");

    day.Step("create a Stars ton_memo order with an Idempotency-Key, and the same request again");
    var reference = $"cs-kiota-{day.Run}";
    var key = Guid.NewGuid().ToString();
    var starsRequest = new CreateStarsOrderRequest
    {
        RecipientUsername = "pandus",
        Quantity = 100,
        PaymentMethod = PaymentMethod.Ton_memo,
        ClientReference = reference,
    };
    var order = Present((await api.Orders.Stars.PostAsync(starsRequest, r => r.Headers.Add("Idempotency-Key", key)))?.Data, "order");
    var replay = Present((await api.Orders.Stars.PostAsync(starsRequest, r => r.Headers.Add("Idempotency-Key", key)))?.Data, "replay");
    var id = Present(order.Id, "id");
    Check(replay.Id == id, $"the retry answered order {replay.Id}, not {id}");
    Check(order is { Status: OrderStatus.Pending_payment, PaymentMethod: PaymentMethod.Ton_memo }, $"a new order is {order.Status}");
    var price = Money.Exact(order.PriceTon, order.PriceNanoton, "price");
    Check(order.PriceNanoton == starsEstimate.PriceNanoton, "the order costs what the estimate said");
    var message = Present(Present(order.PaymentRequest, "payment_request").Messages, "messages").Single();
    Check(message.Amount == order.PriceNanoton, $"the TON Connect amount {message.Amount} is the price {order.PriceNanoton}");
    var link = Present(order.PaymentLink, "payment_link");
    Check(link == $"ton://transfer/{order.PaymentAddress}?amount={order.PriceNanoton}&text={order.PaymentMemo}", $"payment_link {link}");
    var memo = Present(order.PaymentMemo, "payment_memo");
    Note($"order {id}: {order.PriceTon} TON ({order.PriceNanoton} nanoTON) to {order.PaymentAddress}, memo {memo}");

    day.Step("get it, find it by memo, list it");
    var got = Present((await api.Orders[id].GetAsync())?.Data, "order");
    Check(got.PriceTon == order.PriceTon && got.PriceNanoton == order.PriceNanoton, "GET /orders/{id} has the same price");
    Check((await api.Orders.ByMemo[memo].GetAsync())?.Data?.Id == id, "by-memo finds it");
    var pending = Present((await api.Orders.GetAsync(r =>
    {
        r.QueryParameters.Status = OrderStatus.Pending_payment;
        r.QueryParameters.OrderType = OrderType.Stars;
        r.QueryParameters.Limit = 100;
    }))?.Data?.Items, "items");
    Check(pending.Any(o => o.Id == id) && pending.All(o => o.Status == OrderStatus.Pending_payment), "the status filter lists it");

    day.Step("the payment QR code, as SVG and PNG bytes, decoded back to the payment link");
    await using (var svg = Present(await api.Orders[id].PaymentQr.GetAsync(), "svg"))
    {
        Check(QrCodes.FromSvg(await ReadAllAsync(svg)) == link, "the SVG QR code reads as the payment link");
    }

    await using (var png = Present(await api.Orders[id].PaymentQr.GetAsync(r => r.QueryParameters.Format = PaymentQrFormat.Png), "png"))
    {
        Check(QrCodes.FromPng(await ReadAllAsync(png)) == link, "the PNG QR code reads as the payment link");
    }

    day.Step("register a webhook endpoint and ping it; the signature verifies");
    var endpoint = Present((await api.Webhook.PutAsync(new PutWebhookRequest { Url = receiver.Url }))?.Data, "endpoint");
    var secret = Present(endpoint.Secret, "the new endpoint's secret");
    Check((await api.Webhook.Test.PostAsync())?.Data?.Queued == true, "the ping is queued");
    var ping = await receiver.WaitForAsync("ping", TimeSpan.FromSeconds(30));
    Check(ping.IsSignedWith(secret), "the ping's TOM-Signature verifies with the secret");
    Note($"ping {ping.EventId} delivered to {receiver.Url}, signature OK");

    day.Step("pay the exact nanoTON through the processor simulator; wait for completed");
    await simulator.PayOrderAsync(Present(order.PriceNanoton, "price_nanoton"), memo);
    var completed = await WaitForAsync(api, id, OrderStatus.Completed);
    Check(Money.Exact(completed.PaidTon, completed.PaidNanoton, "paid") == price, "paid exactly the price");
    Check(completed.PaidTon == order.PriceTon, "paid_ton equals price_ton as decimals");
    Check(completed.PaymentLink is null && completed.PaymentRequest is null, "nothing is due any more");
    try
    {
        await using var none = await api.Orders[id].PaymentQr.GetAsync();
        throw new CheckFailedException("a completed order still has a QR code");
    }
    catch (ErrorEnvelope e) when (e.ResponseStatusCode == 409 && e.ErrorCode == ErrorCode.ORDER_NOT_PAYABLE)
    {
        Note($"409 {e.ErrorCode}: {e.ErrorMessage}");
    }

    day.Step("top up the balance through the simulator; balance and ledger exact");
    var before = Present((await api.Balance.GetAsync())?.Data, "balance");
    var balanceBefore = Money.Exact(before.BalanceTon, before.BalanceNanoton, "balance");
    const string topUp = "5000000000";
    await simulator.TopUpAsync(Present(before.TopupAddress, "topup_address"), topUp);
    var balance = await WaitForBalanceAsync(api, balanceBefore + Money.Nano(topUp, "top-up"));
    var ledger = Present((await api.Balance.Transactions.GetAsync(r => r.QueryParameters.Limit = 20))?.Data, "ledger");
    var rows = Present(ledger.Items, "ledger items");
    var topUpRow = rows.First();
    Check(topUpRow.Type == LedgerEntryType.Topup && topUpRow.AmountNanoton == topUp && topUpRow.AmountTon == 5m, "the newest ledger row is the 5 TON top-up");
    Check(topUpRow.BalanceAfterNanoton == balance.BalanceNanoton && topUpRow.BalanceAfterTon == balance.BalanceTon, "balance_after is the balance");
    foreach (var row in rows)
    {
        Money.Exact(row.AmountTon, row.AmountNanoton, $"ledger {row.Id} amount");
        Money.Exact(row.BalanceAfterTon, row.BalanceAfterNanoton, $"ledger {row.Id} balance_after");
    }

    Note($"balance {before.BalanceTon} -> {balance.BalanceTon} TON ({balance.BalanceNanoton} nanoTON); {ledger.Total} ledger rows");

    day.Step("a Premium order paid from the balance, to completed");
    var premium = Present((await api.Orders.Premium.PostAsync(
        new CreatePremiumOrderRequest { RecipientUsername = "pandus", Months = 3, PaymentMethod = PaymentMethod.Balance, ClientReference = reference },
        r => r.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString())))?.Data, "premium order");
    var premiumId = Present(premium.Id, "id");
    await WaitForAsync(api, premiumId, OrderStatus.Completed);
    var after = Present((await api.Balance.GetAsync())?.Data, "balance");
    Check(
        Money.Exact(after.BalanceTon, after.BalanceNanoton, "balance") == Money.Nano(balance.BalanceNanoton, "balance") - Money.Exact(premium.PriceTon, premium.PriceNanoton, "premium price"),
        "the balance went down by the exact price");

    day.Step("events: order, balance and ping events on one page, each with its data");
    var events = Present(Present((await api.Events.GetAsync(r => { r.QueryParameters.After = 0; r.QueryParameters.Limit = 100; }))?.Data, "events").Items, "event items");
    var kinds = events.Select(e => Present(e.Type, "type")).ToHashSet();
    Check(
        kinds.IsSupersetOf([EventType.OrderCreated, EventType.OrderPaid, EventType.OrderCompleted, EventType.BalanceCredited, EventType.BalanceDebited, EventType.Ping]),
        $"one page has every kind: {string.Join(", ", kinds)}");
    foreach (var e in events)
    {
        var data = Present(e.Data, $"event {e.Id} data");
        var isOrder = e.Type is EventType.OrderCreated or EventType.OrderPaid or EventType.OrderCompleted or EventType.OrderFailed or EventType.OrderExpired or EventType.OrderCancelled;
        var isBalance = e.Type is EventType.BalanceCredited or EventType.BalanceDebited;
        Check(isOrder == (data.Order is not null) && isBalance == (data.Transaction is not null), $"event {e.Id} ({e.Type}) carries the data of its type");
        if (data.Order is { } snapshot)
        {
            Money.Exact(snapshot.PriceTon, snapshot.PriceNanoton, $"event {e.Id} price");
            Money.Exact(snapshot.PaidTon, snapshot.PaidNanoton, $"event {e.Id} paid");
        }

        if (data.Transaction is { } row)
        {
            Money.Exact(row.AmountTon, row.AmountNanoton, $"event {e.Id} amount");
        }
    }

    var paidEvent = events.Single(e => e.Type == EventType.OrderPaid && e.Data?.Order?.Id == id);
    Check(paidEvent.Data?.Order?.PaidNanoton == order.PriceNanoton, "order.paid shows the exact payment");
    Note($"{events.Count} events: {string.Join(", ", events.GroupBy(e => e.Type).Select(g => $"{g.Key} x{g.Count()}"))}");

    day.Step("the webhook got the same events, signed");
    var delivered = await receiver.WaitForAsync("order.completed", TimeSpan.FromSeconds(30));
    Check(receiver.Deliveries.All(d => d.IsSignedWith(secret)), "every delivery verifies");
    Check(events.Any(e => e.Id == delivered.IdAndType().Id), "the delivered event is in the log");
    var attempts = Present((await api.Webhook.Deliveries.GetAsync(r => r.QueryParameters.Limit = 100))?.Data?.Items, "attempts");
    Check(attempts.Any(a => a.Delivered == true && a.EventType == EventType.Ping), "GET /webhook/deliveries shows the ping delivered");
    Note($"{receiver.Deliveries.Count} deliveries received, all signed");

    day.Step("stats, exact");
    var stats = Present((await api.Orders.Stats.Summary.GetAsync())?.Data, "stats");
    Check(Money.Exact(stats.TonReceived, stats.NanotonReceived, "ton_received") >= price, "ton_received counts the payment");
    Money.Exact(stats.TonSpent, stats.NanotonSpent, "ton_spent");
    Money.Exact(stats.TonRefunded, stats.NanotonRefunded, "ton_refunded");

    day.Step("cancel a new order (with an Idempotency-Key); a completed one cannot be");
    var toCancel = Present((await api.Orders.Stars.PostAsync(
        new CreateStarsOrderRequest { RecipientUsername = "pandus", Quantity = 50 },
        r => r.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString())))?.Data?.Id, "id");
    var cancelled = Present((await api.Orders[toCancel].Cancel.PostAsync(r => r.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString())))?.Data, "cancelled");
    Check(cancelled is { Status: OrderStatus.Cancelled, CancelledAt: not null }, $"cancel gave {cancelled.Status}");
    try
    {
        await api.Orders[id].Cancel.PostAsync();
        throw new CheckFailedException("a completed order was cancelled");
    }
    catch (ErrorEnvelope e) when (e.ResponseStatusCode == 409 && e.ErrorCode == ErrorCode.ORDER_NOT_CANCELLABLE)
    {
        Note($"409 {e.ErrorCode}: {e.ErrorMessage}");
    }

    day.Step("withdrawals: the list is typed; without the bot nobody can confirm, so asking is 503 and holds nothing");
    var heldBefore = Present((await api.Balance.GetAsync())?.Data, "balance").BalanceNanoton;
    var withdrawals = Present((await api.Balance.Withdrawals.GetAsync(r => r.QueryParameters.Limit = 20))?.Data, "withdrawals");
    Check(withdrawals.Total == 0 && withdrawals.Items is { Count: 0 }, $"{withdrawals.Total} withdrawals before any was asked");
    try
    {
        await api.Balance.Withdrawals.PostAsync(
            new CreateWithdrawalRequest { AmountTon = 0.5m, Destination = "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29" },
            r => r.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString()));
        throw new CheckFailedException("a withdrawal was accepted with no way to confirm it");
    }
    catch (ErrorEnvelope e) when (e.ResponseStatusCode == 503 && e.ErrorCode == ErrorCode.SERVICE_UNAVAILABLE)
    {
        Note($"503 {e.ErrorCode}: {e.ErrorMessage}");
    }

    Check(Present((await api.Balance.GetAsync())?.Data, "balance").BalanceNanoton == heldBefore, "the balance is unchanged");

    day.Step("errors are the typed envelope");
    try
    {
        await api.Orders[987_654_321].GetAsync();
        throw new CheckFailedException("an unknown order was found");
    }
    catch (ErrorEnvelope e) when (e.ResponseStatusCode == 404 && e is { Ok: false, ErrorCode: ErrorCode.NOT_FOUND })
    {
        Note($"404 {e.ErrorCode}: {e.ErrorMessage}");
    }

    try
    {
        await api.Orders.Stars.PostAsync(new CreateStarsOrderRequest { RecipientUsername = "pandus", Quantity = 1 });
        throw new CheckFailedException("1 Star was accepted");
    }
    catch (ErrorEnvelope e) when (e.ResponseStatusCode == 422 && e.ErrorCode == ErrorCode.VALIDATION_ERROR)
    {
        Note($"422 {e.ErrorCode}: {e.ErrorMessage}");
    }

    day.Step("a USDT order: priced in USDT, a jetton payment_link and no payment_request; paid in USDT through the simulator, to completed");
    var usdtOrder = Present((await api.Orders.Stars.PostAsync(
        new CreateStarsOrderRequest { RecipientUsername = "pandus", Quantity = 100, PaymentMethod = PaymentMethod.Ton_memo, PaymentCurrency = CreateStarsOrderRequest_payment_currency.USDT },
        r => r.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString())))?.Data, "USDT order");
    var usdtId = Present(usdtOrder.Id, "USDT order id");
    Check(usdtOrder.PaymentCurrency == OrderResponse_payment_currency.USDT, $"payment_currency {usdtOrder.PaymentCurrency}");
    var usdtPrice = Money.ExactUsdt(usdtOrder.PriceUsdt, usdtOrder.PriceUsdtUnits, "price_usdt");
    Check(usdtPrice > 0 && usdtOrder.PaymentRequest is null, "a USDT order has a price and no TON Connect request (the payer's jetton wallet is the payer's)");
    Check(usdtOrder.PaymentAddress != order.PaymentAddress, "USDT is paid to the USDT orders address, not TON's");
    var usdtLink = Present(usdtOrder.PaymentLink, "USDT payment_link");
    Check(
        usdtLink.StartsWith($"ton://transfer/{usdtOrder.PaymentAddress}?jetton=", StringComparison.Ordinal)
            && usdtLink.EndsWith($"&amount={usdtOrder.PriceUsdtUnits}&text={usdtOrder.PaymentMemo}", StringComparison.Ordinal),
        $"jetton payment_link {usdtLink}");
    await using (var png = Present(await api.Orders[usdtId].PaymentQr.GetAsync(r => r.QueryParameters.Format = PaymentQrFormat.Png), "png"))
    {
        Check(QrCodes.FromPng(await ReadAllAsync(png)) == usdtLink, "the PNG QR code reads as the jetton link");
    }

    Note($"order {usdtId}: {usdtOrder.PriceUsdt} USDT ({usdtOrder.PriceUsdtUnits} units) to {usdtOrder.PaymentAddress}, memo {usdtOrder.PaymentMemo}");
    await simulator.PayOrderInUsdtAsync(Present(usdtOrder.PriceUsdtUnits, "price_usdt_units"), Present(usdtOrder.PaymentMemo, "USDT payment_memo"));
    var usdtDone = await WaitForAsync(api, usdtId, OrderStatus.Completed);
    Check(Money.ExactUsdt(usdtDone.PaidUsdt, usdtDone.PaidUsdtUnits, "paid_usdt") == usdtPrice, "paid exactly the USDT price");
    Check(Money.Exact(usdtDone.PaidTon, usdtDone.PaidNanoton, "paid_ton") == 0, "no TON was paid");

    day.Step("balances per currency: a USDT top-up credits the USDT balance only");
    var balancesBefore = Present((await api.Balance.GetAsync())?.Data, "balance");
    var currencies = Present(balancesBefore.Balances, "balances");
    var usdtBalance = currencies.Single(b => b.Currency == CurrencyBalance_currency.USDT);
    var tonBalance = currencies.Single(b => b.Currency == CurrencyBalance_currency.TON);
    Check(tonBalance.TopupAddress == balancesBefore.TopupAddress && usdtBalance.TopupAddress is not null && usdtBalance.TopupAddress != tonBalance.TopupAddress,
        "TON and USDT each have their own top-up address");
    var usdtBefore = Money.ExactUsdt(usdtBalance.Amount, usdtBalance.AmountUnits, "USDT balance");
    await simulator.TopUpInUsdtAsync(Present(usdtBalance.TopupAddress, "USDT topup_address"), "2500000");
    var usdtAfter = await WaitForUsdtBalanceAsync(api, usdtBefore + 2_500_000);
    Check(usdtAfter.BalanceNanoton == balancesBefore.BalanceNanoton, "the TON balance did not move");
    var usdtRows = Present((await api.Balance.Transactions.GetAsync(r => { r.QueryParameters.Limit = 5; r.QueryParameters.Currency = Currency.USDT; }))?.Data?.Items, "USDT ledger items");
    var usdtTopUp = usdtRows.First();
    Check(usdtTopUp.Type == LedgerEntryType.Topup && usdtTopUp.Currency == LedgerEntryResponse_currency.USDT && Money.ExactUsdt(usdtTopUp.AmountUsdt, usdtTopUp.AmountUsdtUnits, "ledger amount_usdt") == 2_500_000,
        "the newest USDT ledger row is the 2.5 USDT top-up");
    Check(usdtRows.All(r => r.Currency == LedgerEntryResponse_currency.USDT), "?currency=USDT lists USDT rows only");
    Note($"USDT balance {usdtBalance.Amount} -> {usdtBefore + 2_500_000} units; TON {usdtAfter.BalanceTon} unchanged");

    await TestModeDayAsync(day, api, receiver);
});

// The same partner in test mode: its osk_test_ key (a test twin of its own), simulated money through the sandbox
// routes, real signed webhooks to the receiver's test endpoint; and the live key refused on a sandbox route.
static async Task TestModeDayAsync(PartnerDay day, TheOpenMoney.ClientCheck.Kiota.Client.Api.V1.V1RequestBuilder live, WebhookReceiver receiver)
{
    using var http = day.CreateHttpClient(day.TestApiKey);
    using var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = day.ApiUrl };
    var api = new TheOpenMoneyClient(adapter).Api.V1;
    const long topUp = 25_000_000_000;

    day.Step("test mode: GET /partner with the test key says mode test (the same Telegram user's test twin)");
    var livePartner = Present((await live.Partner.GetAsync())?.Data, "partner");
    var twin = Present((await api.Partner.GetAsync())?.Data, "test partner");
    Check(livePartner.Mode == PartnerResponse_mode.Live && twin.Mode == PartnerResponse_mode.Test, $"modes {livePartner.Mode} and {twin.Mode}");
    Check(twin.TelegramUserId == livePartner.TelegramUserId && twin.Id != livePartner.Id, "the same Telegram user, a partner id of its own");
    var prefix = Present(twin.ApiKey?.Prefix, "the test key's prefix");
    Check(prefix.StartsWith("osk_test_", StringComparison.Ordinal), $"test key prefix {prefix}");
    Note($"test twin {twin.Id} of partner {livePartner.Id}, key {prefix}");

    day.Step("test mode: register a webhook endpoint on the local receiver");
    var endpoint = Present((await api.Webhook.PutAsync(new PutWebhookRequest { Url = receiver.UrlOf(WebhookReceiver.TestEndpoint) }))?.Data, "endpoint");
    var secret = Present(endpoint.Secret, "the test endpoint's secret");
    Check(endpoint.Enabled == true && endpoint.Url == receiver.UrlOf(WebhookReceiver.TestEndpoint), $"endpoint {endpoint.Url}");
    Note($"{endpoint.Url}, secret {endpoint.SecretPrefix}…");

    day.Step("test mode: a Stars ton_memo order, livemode false, a testnet (0Q…) address; the live key cannot see it");
    var order = Present((await api.Orders.Stars.PostAsync(
        new CreateStarsOrderRequest { RecipientUsername = "pandus", Quantity = 100, PaymentMethod = PaymentMethod.Ton_memo, ClientReference = $"cs-kiota-test-{day.Run}" },
        r => r.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString())))?.Data, "test order");
    var id = Present(order.Id, "id");
    Check(order is { Livemode: false, Status: OrderStatus.Pending_payment, PaymentMethod: PaymentMethod.Ton_memo }, $"a new test order: livemode {order.Livemode}, {order.Status}");
    var address = Present(order.PaymentAddress, "payment_address");
    Check(address.StartsWith("0Q", StringComparison.Ordinal), $"payment_address {address} is not in testnet form");
    var price = Money.Exact(order.PriceTon, order.PriceNanoton, "test price");
    Note($"order {id}: {order.PriceTon} TON to {address}, memo {order.PaymentMemo}");
    try
    {
        await live.Orders[id].GetAsync();
        throw new CheckFailedException("the live key sees a test order");
    }
    catch (ErrorEnvelope e) when (e.ResponseStatusCode == 404 && e.ErrorCode == ErrorCode.NOT_FOUND)
    {
        Note($"live key: 404 {e.ErrorCode}");
    }

    day.Step("test mode: pay it through the sandbox (sandboxPayOrder: by default what is due, with its memo)");
    var payment = Present((await api.Sandbox.Orders[id].Pay.PostAsync(new SandboxPaymentRequest()))?.Data, "sandbox payment");
    Check(payment.AppliedAs == SandboxPaymentResponse_applied_as.Order_payment, $"applied_as {payment.AppliedAs}");
    Check(Money.Exact(payment.AmountTon, payment.AmountNanoton, "sandbox payment") == price, $"sent {payment.AmountNanoton}, the price is {order.PriceNanoton}");
    var txHash = Present(payment.TxHash, "tx_hash");
    Check(txHash.StartsWith("sandbox-", StringComparison.Ordinal), $"tx_hash {txHash}");
    var paid = Present(payment.Order, "the order after the payment");
    Check(paid is { Status: OrderStatus.Paid, Livemode: false } && paid.Id == id, $"the order after the payment is {paid.Status}");
    Check(Money.Exact(paid.PaidTon, paid.PaidNanoton, "paid") == price && paid.PaymentTxHash == txHash, "paid exactly, by that transaction");
    Note($"{payment.AppliedAs}: {payment.AmountTon} TON ({payment.AmountNanoton} nanoTON)");

    day.Step("test mode: wait for completed (the simulated supplier)");
    var completed = await WaitForAsync(api, id, OrderStatus.Completed);
    Check(completed is { Livemode: false, CompletedAt: not null, PaymentRequest: null }, "completed, nothing due");

    day.Step("test mode: top up through the sandbox (sandboxTopUp); balance exact");
    var before = Present((await api.Balance.GetAsync())?.Data, "test balance");
    var balanceBefore = Money.Exact(before.BalanceTon, before.BalanceNanoton, "test balance");
    var credited = Present((await api.Sandbox.Balance.Topup.PostAsync(new SandboxTopupRequest { AmountTon = 25m }))?.Data, "sandbox top-up");
    Check(credited.AppliedAs == SandboxTopupResponse_applied_as.Topup && credited.TxHash?.StartsWith("sandbox-", StringComparison.Ordinal) == true, $"applied_as {credited.AppliedAs}");
    Check(Money.Exact(credited.AmountTon, credited.AmountNanoton, "top-up") == topUp, $"a top-up of {credited.AmountNanoton} nanoTON");
    Check(Money.Exact(credited.BalanceTon, credited.BalanceNanoton, "balance after the top-up") == balanceBefore + topUp, $"balance {credited.BalanceNanoton}");
    var balance = await WaitForBalanceAsync(api, balanceBefore + topUp);
    var newest = Present(Present((await api.Balance.Transactions.GetAsync(r => r.QueryParameters.Limit = 5))?.Data, "ledger").Items, "ledger items").First();
    Check(newest.Type == LedgerEntryType.Topup && Money.Exact(newest.AmountTon, newest.AmountNanoton, "ledger") == topUp && newest.BalanceAfterNanoton == balance.BalanceNanoton, "the newest ledger row is the top-up");
    Note($"test balance {before.BalanceTon} -> {balance.BalanceTon} TON");

    day.Step("test mode: the order.paid webhook arrives at the test endpoint, signed with the test secret");
    var delivered = await receiver.WaitForAsync(WebhookReceiver.TestEndpoint, d => d.EventType == "order.paid", "order.paid", TimeSpan.FromSeconds(30));
    var paidEvent = await ReadAsync(delivered);
    Check(paidEvent.Data?.Order?.Id == id, $"the first order.paid delivered is of order {paidEvent.Data?.Order?.Id}, not {id}");
    Check(delivered.IsSignedWith(secret), $"the order.paid signature does not verify: {delivered.Signature}");
    Check(!delivered.IsSignedWith(secret + "x"), "a wrong secret does not verify");
    Check(paidEvent is { Livemode: false, Type: EventType.OrderPaid } && $"{paidEvent.Id}" == delivered.EventId, "the delivered event: livemode false, its id in TOM-Event-Id");
    Check(Money.Exact(paidEvent.Data?.Order?.PaidTon, paidEvent.Data?.Order?.PaidNanoton, "delivered paid") == price, "the delivered order shows the exact payment");
    Check(receiver.DeliveriesTo(WebhookReceiver.TestEndpoint).All(d => d.IsSignedWith(secret)), "every test delivery verifies");
    Note($"event {paidEvent.Id} ({delivered.EventType}) delivered, signature OK; {receiver.DeliveriesTo(WebhookReceiver.TestEndpoint).Count} test deliveries");

    day.Step("test mode: GET /events has the test events, livemode false; the live log has none of them");
    // The dispatcher numbers committed events every 100 ms: the top-up's balance.credited may still be on its way.
    var events = await WaitForEventsAsync(api, items => items.Any(e => e.Type == EventType.BalanceCredited && e.Data?.Transaction?.AmountNanoton == credited.AmountNanoton));
    Check(events.Count > 0 && events.All(e => e.Livemode == false), "every test event has livemode false");
    var ofOrder = events.Where(e => e.Data?.Order?.Id == id).Select(e => Present(e.Type, "type")).ToHashSet();
    Check(ofOrder.IsSupersetOf([EventType.OrderCreated, EventType.OrderPaid, EventType.OrderCompleted]), $"the test order's events: {string.Join(", ", ofOrder)}");
    Check(events.Any(e => e.Type == EventType.BalanceCredited && e.Data?.Transaction?.AmountNanoton == credited.AmountNanoton), "balance.credited for the top-up");
    Check(events.Any(e => e.Id == paidEvent.Id && e.Type == EventType.OrderPaid), "the delivered event is in the log");
    // Event ids are counted per partner and the test twin is a partner of its own: they may repeat live ids.
    var liveEvents = Present(Present((await live.Events.GetAsync(r => { r.QueryParameters.After = 0; r.QueryParameters.Limit = 100; }))?.Data, "live events").Items, "live event items");
    Check(liveEvents.All(e => e.Livemode == true && e.Data?.Order?.Id != id), "the live key sees live events only");
    Note($"{events.Count} test events: {string.Join(", ", events.GroupBy(e => e.Type).Select(g => $"{g.Key} x{g.Count()}"))}; {liveEvents.Count} live events");

    day.Step("a live key gets 403 FORBIDDEN on a sandbox route; its balance does not move");
    var liveBefore = Present((await live.Balance.GetAsync())?.Data, "balance").BalanceNanoton;
    try
    {
        await live.Sandbox.Balance.Topup.PostAsync(new SandboxTopupRequest { AmountTon = 1m });
        throw new CheckFailedException("a live key topped up through the sandbox");
    }
    catch (ErrorEnvelope e) when (e.ResponseStatusCode == 403 && e is { Ok: false, ErrorCode: ErrorCode.FORBIDDEN })
    {
        Note($"403 {e.ErrorCode}: {e.ErrorMessage}");
    }

    Check(Present((await live.Balance.GetAsync())?.Data, "balance").BalanceNanoton == liveBefore, "the live balance is unchanged");
}

static async Task<List<EventResponse>> WaitForEventsAsync(TheOpenMoney.ClientCheck.Kiota.Client.Api.V1.V1RequestBuilder api, Func<List<EventResponse>, bool> done)
{
    var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
    while (true)
    {
        var items = Present(Present((await api.Events.GetAsync(r => { r.QueryParameters.After = 0; r.QueryParameters.Limit = 100; }))?.Data, "events").Items, "event items");
        if (done(items) || DateTimeOffset.UtcNow >= deadline)
        {
            return items;
        }

        await Task.Delay(200);
    }
}

// A delivered event read with the generated model (the document's EventResponse is what deliveries carry).
static async Task<EventResponse> ReadAsync(WebhookReceiver.Delivery delivery)
{
    using var body = new MemoryStream(delivery.Body);
    return Present(await KiotaJsonSerializer.DeserializeAsync(body, EventResponse.CreateFromDiscriminatorValue), "the delivered event");
}

static async Task<byte[]> ReadAllAsync(Stream stream)
{
    using var bytes = new MemoryStream();
    await stream.CopyToAsync(bytes);
    return bytes.ToArray();
}

static async Task<OrderResponse> WaitForAsync(TheOpenMoney.ClientCheck.Kiota.Client.Api.V1.V1RequestBuilder api, long id, OrderStatus status)
{
    var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
    var seen = new List<OrderStatus?>();
    while (true)
    {
        var order = Present((await api.Orders[id].GetAsync())?.Data, "order");
        if (seen.Count == 0 || seen[^1] != order.Status)
        {
            seen.Add(order.Status);
        }

        if (order.Status == status)
        {
            Note($"order {id}: {string.Join(" -> ", seen)}");
            return order;
        }

        Check(order.Status is not (OrderStatus.Failed or OrderStatus.Expired or OrderStatus.Cancelled), $"order {id} ended {order.Status}: {order.FailureReason}");
        Check(DateTimeOffset.UtcNow < deadline, $"order {id} is still {order.Status} after 60 s");
        await Task.Delay(500);
    }
}

static async Task<BalanceResponse> WaitForUsdtBalanceAsync(TheOpenMoney.ClientCheck.Kiota.Client.Api.V1.V1RequestBuilder api, long units)
{
    var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
    while (true)
    {
        var balance = Present((await api.Balance.GetAsync())?.Data, "balance");
        var usdt = Present(balance.Balances, "balances").Single(b => b.Currency == CurrencyBalance_currency.USDT);
        if (Money.ExactUsdt(usdt.Amount, usdt.AmountUnits, "USDT balance") == units)
        {
            return balance;
        }

        Check(DateTimeOffset.UtcNow < deadline, $"the USDT balance is still {usdt.AmountUnits} units, expected {units}");
        await Task.Delay(500);
    }
}

static async Task<BalanceResponse> WaitForBalanceAsync(TheOpenMoney.ClientCheck.Kiota.Client.Api.V1.V1RequestBuilder api, long nanoton)
{
    var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
    while (true)
    {
        var balance = Present((await api.Balance.GetAsync())?.Data, "balance");
        if (Money.Exact(balance.BalanceTon, balance.BalanceNanoton, "balance") == nanoton)
        {
            return balance;
        }

        Check(DateTimeOffset.UtcNow < deadline, $"the balance is still {balance.BalanceNanoton} nanoTON, expected {nanoton}");
        await Task.Delay(500);
    }
}

// A partner's day through the client NSwag 14.8 generates from openapi/v1.json (System.Text.Json,
// Generated/TheOpenMoneyClient.cs, unedited): no casts, no dynamic, no hand-written JSON for the partner API;
// every TON amount compared exactly, as a decimal and as its nanoTON twin. After the live day, a test-mode day
// with the same partner's osk_test_ key (TestModeDayAsync). Environment: see PartnerDay.
using System.Text.Json;
using TheOpenMoney.ClientCheck;
using TheOpenMoney.ClientCheck.Nswag.Client;

using var day = new PartnerDay("NSwag 14.8 (System.Text.Json)");
return await day.RunAsync(async day =>
{
    using var http = day.CreateHttpClient();
    var api = new TheOpenMoneyClient(http) { BaseUrl = day.ApiUrl };
    var simulator = day.Simulator();
    await using var receiver = await WebhookReceiver.StartAsync(day.WebhookPort);

    day.Step("health and partner");
    var health = (await api.GetHealthAsync()).Data;
    var partner = (await api.GetPartnerAsync()).Data;
    PartnerDay.Note($"health {health.Status}; partner {partner.Id}, key {partner.Api_key.Prefix}");

    day.Step("pricing: rate, fees, Stars and Premium estimates, amounts exact");
    var rate = (await api.GetTonRateAsync()).Data;
    var fees = (await api.GetFeesAsync()).Data;
    PartnerDay.Check(rate.Ton_usd > 0m, "ton_usd is positive");
    Money.Exact(fees.Ton_rounding_step, fees.Nanoton_rounding_step, "ton_rounding_step");
    var starsEstimate = (await api.EstimateStarsAsync(100)).Data;
    var premiumEstimate = (await api.EstimatePremiumAsync(PremiumMonths._3)).Data;
    var starsNano = Money.Exact(starsEstimate.Price_ton, starsEstimate.Price_nanoton, "stars estimate price");
    Money.Exact(premiumEstimate.Price_ton, premiumEstimate.Price_nanoton, "premium estimate price");
    PartnerDay.Check(starsEstimate.Stars_amount == 100 && premiumEstimate.Premium_months == 3, "the estimates are for what was asked");
    PartnerDay.Check(starsNano % Money.Nano(fees.Nanoton_rounding_step, "step") == 0, "the price is a multiple of the rounding step");
    PartnerDay.Note($"1 TON = {rate.Ton_usd} USD; 100 Stars = {starsEstimate.Price_ton} TON = {starsEstimate.Price_nanoton} nanoTON");

    day.Step("recipient checks");
    var pandus = (await api.CheckStarsRecipientAsync("@pandus")).Data;
    PartnerDay.Check(pandus is { Can_receive: true, Reason: null, Username: "pandus" }, "pandus can receive Stars");
    var subscribed = (await api.CheckPremiumRecipientAsync("premium_pandus", PremiumMonths._3)).Data;
    PartnerDay.Check(subscribed is { Can_receive: false, Reason: RecipientReason.ALREADY_PREMIUM }, "premium_pandus already has Premium");

    day.Step("create a Stars ton_memo order with an Idempotency-Key, and the same request again");
    var reference = $"cs-nswag-{day.Run}";
    var key = Guid.NewGuid().ToString();
    var starsRequest = new CreateStarsOrderRequest
    {
        Recipient_username = "pandus",
        Quantity = 100,
        Payment_method = PaymentMethod.Ton_memo,
        Client_reference = reference,
    };
    var order = (await api.CreateStarsOrderAsync(starsRequest, key)).Data;
    var replay = (await api.CreateStarsOrderAsync(starsRequest, key)).Data;
    PartnerDay.Check(replay.Id == order.Id, $"the retry answered order {replay.Id}, not {order.Id}");
    PartnerDay.Check(order is { Status: OrderStatus.Pending_payment, Payment_method: PaymentMethod.Ton_memo }, $"a new order is {order.Status}");
    var price = Money.Exact(order.Price_ton, order.Price_nanoton, "price");
    PartnerDay.Check(order.Price_nanoton == starsEstimate.Price_nanoton, "the order costs what the estimate said");
    var message = PartnerDay.Present(order.Payment_request, "payment_request").Messages.Single();
    PartnerDay.Check(message.Amount == order.Price_nanoton, $"the TON Connect amount {message.Amount} is the price {order.Price_nanoton}");
    var link = PartnerDay.Present(order.Payment_link, "payment_link");
    PartnerDay.Check(link == $"ton://transfer/{order.Payment_address}?amount={order.Price_nanoton}&text={order.Payment_memo}", $"payment_link {link}");
    PartnerDay.Note($"order {order.Id}: {order.Price_ton} TON ({order.Price_nanoton} nanoTON) to {order.Payment_address}, memo {order.Payment_memo}");

    day.Step("get it, find it by memo, list it");
    var got = (await api.GetOrderAsync(order.Id)).Data;
    PartnerDay.Check(got.Price_ton == order.Price_ton && got.Price_nanoton == order.Price_nanoton, "GET /orders/{id} has the same price");
    PartnerDay.Check((await api.GetOrderByMemoAsync(order.Payment_memo)).Data.Id == order.Id, "by-memo finds it");
    var pending = (await api.ListOrdersAsync(status: OrderStatus.Pending_payment, order_type: OrderType.Stars, limit: 100)).Data;
    PartnerDay.Check(pending.Items.Any(o => o.Id == order.Id) && pending.Items.All(o => o.Status == OrderStatus.Pending_payment), "the status filter lists it");

    day.Step("the payment QR code, as SVG and PNG bytes, decoded back to the payment link");
    using (var svg = await api.GetOrderPaymentQrAsync(order.Id))
    {
        PartnerDay.Check(svg.Headers["Content-Type"].Single().StartsWith("image/svg+xml", StringComparison.Ordinal), "the default QR code is SVG");
        PartnerDay.Check(QrCodes.FromSvg(await ReadAllAsync(svg.Stream)) == link, "the SVG QR code reads as the payment link");
    }

    using (var png = await api.GetOrderPaymentQrAsync(order.Id, PaymentQrFormat.Png))
    {
        PartnerDay.Check(QrCodes.FromPng(await ReadAllAsync(png.Stream)) == link, "the PNG QR code reads as the payment link");
    }

    day.Step("register a webhook endpoint and ping it; the signature verifies");
    var endpoint = (await api.PutWebhookAsync(new PutWebhookRequest { Url = receiver.Url })).Data;
    var secret = PartnerDay.Present(endpoint.Secret, "the new endpoint's secret");
    PartnerDay.Check((await api.TestWebhookAsync()).Data.Queued, "the ping is queued");
    var ping = await receiver.WaitForAsync("ping", TimeSpan.FromSeconds(30));
    PartnerDay.Check(ping.IsSignedWith(secret), "the ping's TOM-Signature verifies with the secret");
    PartnerDay.Note($"ping {ping.EventId} delivered to {receiver.Url}, signature OK");

    day.Step("pay the exact nanoTON through the processor simulator; wait for completed");
    await simulator.PayOrderAsync(order.Price_nanoton, order.Payment_memo);
    var completed = await WaitForAsync(api, order.Id, OrderStatus.Completed);
    PartnerDay.Check(Money.Exact(completed.Paid_ton, completed.Paid_nanoton, "paid") == price, "paid exactly the price");
    PartnerDay.Check(completed.Paid_ton == order.Price_ton, "paid_ton equals price_ton as decimals");
    PartnerDay.Check(completed.Payment_link is null && completed.Payment_request is null, "nothing is due any more");
    try
    {
        using var none = await api.GetOrderPaymentQrAsync(order.Id);
        throw new CheckFailedException("a completed order still has a QR code");
    }
    catch (ApiException<ErrorEnvelope> e) when (e.StatusCode == 409 && e.Result.Error_code == ErrorCode.ORDER_NOT_PAYABLE)
    {
        PartnerDay.Note($"409 {e.Result.Error_code}: {e.Result.Error_message}");
    }

    day.Step("top up the balance through the simulator; balance and ledger exact");
    var before = (await api.GetBalanceAsync()).Data;
    var balanceBefore = Money.Exact(before.Balance_ton, before.Balance_nanoton, "balance");
    const string topUp = "5000000000";
    await simulator.TopUpAsync(PartnerDay.Present(before.Topup_address, "topup_address"), topUp);
    var balance = await WaitForBalanceAsync(api, balanceBefore + Money.Nano(topUp, "top-up"));
    var ledger = (await api.ListBalanceTransactionsAsync(limit: 20)).Data;
    var topUpRow = ledger.Items.First();
    PartnerDay.Check(topUpRow.Type == LedgerEntryType.Topup && topUpRow.Amount_nanoton == topUp && topUpRow.Amount_ton == 5m, "the newest ledger row is the 5 TON top-up");
    PartnerDay.Check(topUpRow.Balance_after_nanoton == balance.Balance_nanoton && topUpRow.Balance_after_ton == balance.Balance_ton, "balance_after is the balance");
    foreach (var row in ledger.Items)
    {
        Money.Exact(row.Amount_ton, row.Amount_nanoton, $"ledger {row.Id} amount");
        Money.Exact(row.Balance_after_ton, row.Balance_after_nanoton, $"ledger {row.Id} balance_after");
    }

    PartnerDay.Note($"balance {before.Balance_ton} -> {balance.Balance_ton} TON ({balance.Balance_nanoton} nanoTON); {ledger.Total} ledger rows");

    day.Step("a Premium order paid from the balance, to completed");
    var premium = (await api.CreatePremiumOrderAsync(
        new CreatePremiumOrderRequest { Recipient_username = "pandus", Months = PremiumMonths._3, Payment_method = PaymentMethod.Balance, Client_reference = reference },
        Guid.NewGuid().ToString())).Data;
    PartnerDay.Check(premium.Price_nanoton == premiumEstimate.Price_nanoton || premium.Ton_usd_rate != premiumEstimate.Ton_usd_rate, "the Premium order costs what the estimate said");
    await WaitForAsync(api, premium.Id, OrderStatus.Completed);
    var after = (await api.GetBalanceAsync()).Data;
    PartnerDay.Check(Money.Exact(after.Balance_ton, after.Balance_nanoton, "balance") == Money.Nano(balance.Balance_nanoton, "balance") - Money.Nano(premium.Price_nanoton, "premium price"), "the balance went down by the exact price");

    day.Step("events: order, balance and ping events on one page, each with its data");
    var events = (await api.ListEventsAsync(after: 0, limit: 100)).Data;
    var kinds = events.Items.Select(e => e.Type).ToHashSet();
    PartnerDay.Check(
        kinds.IsSupersetOf([EventType.Order_created, EventType.Order_paid, EventType.Order_completed, EventType.Balance_credited, EventType.Balance_debited, EventType.Ping]),
        $"one page has every kind: {string.Join(", ", kinds)}");
    foreach (var e in events.Items)
    {
        var isOrder = e.Type is EventType.Order_created or EventType.Order_paid or EventType.Order_completed or EventType.Order_failed or EventType.Order_expired or EventType.Order_cancelled;
        var isBalance = e.Type is EventType.Balance_credited or EventType.Balance_debited;
        PartnerDay.Check(isOrder == (e.Data.Order is not null) && isBalance == (e.Data.Transaction is not null), $"event {e.Id} ({e.Type}) carries the data of its type");
        if (e.Data.Order is { } snapshot)
        {
            Money.Exact(snapshot.Price_ton, snapshot.Price_nanoton, $"event {e.Id} price");
            Money.Exact(snapshot.Paid_ton, snapshot.Paid_nanoton, $"event {e.Id} paid");
        }

        if (e.Data.Transaction is { } row)
        {
            Money.Exact(row.Amount_ton, row.Amount_nanoton, $"event {e.Id} amount");
        }
    }

    var paidEvent = events.Items.Single(e => e.Type == EventType.Order_paid && e.Data.Order.Id == order.Id);
    PartnerDay.Check(paidEvent.Data.Order.Paid_nanoton == order.Price_nanoton, "order.paid shows the exact payment");
    PartnerDay.Note($"{events.Items.Count} events: {string.Join(", ", events.Items.GroupBy(e => e.Type).Select(g => $"{g.Key} x{g.Count()}"))}");

    day.Step("the webhook got the same events, signed");
    var delivered = await receiver.WaitForAsync("order.completed", TimeSpan.FromSeconds(30));
    PartnerDay.Check(receiver.Deliveries.All(d => d.IsSignedWith(secret)), "every delivery verifies");
    PartnerDay.Check(events.Items.Any(e => e.Id == delivered.IdAndType().Id), "the delivered event is in the log");
    var attempts = (await api.ListWebhookDeliveriesAsync(limit: 100)).Data;
    PartnerDay.Check(attempts.Items.Any(a => a.Delivered && a.Event_type == EventType.Ping), "GET /webhook/deliveries shows the ping delivered");
    PartnerDay.Note($"{receiver.Deliveries.Count} deliveries received, all signed");

    day.Step("stats, exact");
    var stats = (await api.GetOrderStatsAsync()).Data;
    Money.Exact(stats.Ton_received, stats.Nanoton_received, "ton_received");
    Money.Exact(stats.Ton_spent, stats.Nanoton_spent, "ton_spent");
    Money.Exact(stats.Ton_refunded, stats.Nanoton_refunded, "ton_refunded");
    PartnerDay.Check(Money.Nano(stats.Nanoton_received, "received") >= price, "ton_received counts the payment");

    day.Step("cancel a new order (with an Idempotency-Key); a completed one cannot be");
    var toCancel = (await api.CreateStarsOrderAsync(new CreateStarsOrderRequest { Recipient_username = "pandus", Quantity = 50 }, Guid.NewGuid().ToString())).Data;
    var cancelled = (await api.CancelOrderAsync(toCancel.Id, Guid.NewGuid().ToString())).Data;
    PartnerDay.Check(cancelled is { Status: OrderStatus.Cancelled, Cancelled_at: not null }, $"cancel gave {cancelled.Status}");
    try
    {
        await api.CancelOrderAsync(order.Id);
        throw new CheckFailedException("a completed order was cancelled");
    }
    catch (ApiException<ErrorEnvelope> e) when (e.StatusCode == 409 && e.Result.Error_code == ErrorCode.ORDER_NOT_CANCELLABLE)
    {
        PartnerDay.Note($"409 {e.Result.Error_code}: {e.Result.Error_message}");
    }

    day.Step("withdrawals: the list is typed; without the bot nobody can confirm, so asking is 503 and holds nothing");
    var heldBefore = (await api.GetBalanceAsync()).Data.Balance_nanoton;
    var withdrawals = (await api.ListWithdrawalsAsync(limit: 20)).Data;
    PartnerDay.Check(withdrawals.Total == 0 && withdrawals.Items.Count == 0, $"{withdrawals.Total} withdrawals before any was asked");
    try
    {
        await api.CreateWithdrawalAsync(new CreateWithdrawalRequest { Amount_ton = 0.5m, Destination = "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29" }, Guid.NewGuid().ToString());
        throw new CheckFailedException("a withdrawal was accepted with no way to confirm it");
    }
    catch (ApiException<ErrorEnvelope> e) when (e.StatusCode == 503 && e.Result.Error_code == ErrorCode.SERVICE_UNAVAILABLE)
    {
        PartnerDay.Note($"503 {e.Result.Error_code}: {e.Result.Error_message}");
    }

    PartnerDay.Check((await api.GetBalanceAsync()).Data.Balance_nanoton == heldBefore, "the balance is unchanged");

    day.Step("errors are the typed envelope");
    try
    {
        await api.GetOrderAsync(987_654_321);
        throw new CheckFailedException("an unknown order was found");
    }
    catch (ApiException<ErrorEnvelope> e) when (e.StatusCode == 404 && e.Result is { Ok: false, Error_code: ErrorCode.NOT_FOUND, Data: null })
    {
        PartnerDay.Note($"404 {e.Result.Error_code}: {e.Result.Error_message}");
    }

    try
    {
        await api.CreateStarsOrderAsync(new CreateStarsOrderRequest { Recipient_username = "pandus", Quantity = 1 });
        throw new CheckFailedException("1 Star was accepted");
    }
    catch (ApiException<ErrorEnvelope> e) when (e.StatusCode == 422 && e.Result.Error_code == ErrorCode.VALIDATION_ERROR)
    {
        PartnerDay.Note($"422 {e.Result.Error_code}: {e.Result.Error_message}");
    }

    day.Step("a USDT order: priced in USDT, a jetton payment_link and no payment_request; paid in USDT through the simulator, to completed");
    var usdtOrder = (await api.CreateStarsOrderAsync(
        new CreateStarsOrderRequest { Recipient_username = "pandus", Quantity = 100, Payment_method = PaymentMethod.Ton_memo, Payment_currency = CreateStarsOrderRequestPayment_currency.USDT },
        Guid.NewGuid().ToString())).Data;
    PartnerDay.Check(usdtOrder.Payment_currency == OrderResponsePayment_currency.USDT, $"payment_currency {usdtOrder.Payment_currency}");
    var usdtPrice = Money.ExactUsdt(usdtOrder.Price_usdt, usdtOrder.Price_usdt_units, "price_usdt");
    PartnerDay.Check(usdtPrice > 0 && usdtOrder.Payment_request is null, "a USDT order has a price and no TON Connect request (the payer's jetton wallet is the payer's)");
    PartnerDay.Check(usdtOrder.Payment_address != order.Payment_address, "USDT is paid to the USDT orders address, not TON's");
    var usdtLink = PartnerDay.Present(usdtOrder.Payment_link, "USDT payment_link");
    PartnerDay.Check(
        usdtLink.StartsWith($"ton://transfer/{usdtOrder.Payment_address}?jetton=", StringComparison.Ordinal)
            && usdtLink.EndsWith($"&amount={usdtOrder.Price_usdt_units}&text={usdtOrder.Payment_memo}", StringComparison.Ordinal),
        $"jetton payment_link {usdtLink}");
    using (var png = await api.GetOrderPaymentQrAsync(usdtOrder.Id, PaymentQrFormat.Png))
    {
        PartnerDay.Check(QrCodes.FromPng(await ReadAllAsync(png.Stream)) == usdtLink, "the PNG QR code reads as the jetton link");
    }

    PartnerDay.Note($"order {usdtOrder.Id}: {usdtOrder.Price_usdt} USDT ({usdtOrder.Price_usdt_units} units) to {usdtOrder.Payment_address}, memo {usdtOrder.Payment_memo}");
    await simulator.PayOrderInUsdtAsync(PartnerDay.Present(usdtOrder.Price_usdt_units, "price_usdt_units"), usdtOrder.Payment_memo);
    var usdtDone = await WaitForAsync(api, usdtOrder.Id, OrderStatus.Completed);
    PartnerDay.Check(Money.ExactUsdt(usdtDone.Paid_usdt, usdtDone.Paid_usdt_units, "paid_usdt") == usdtPrice, "paid exactly the USDT price");
    PartnerDay.Check(Money.Exact(usdtDone.Paid_ton, usdtDone.Paid_nanoton, "paid_ton") == 0, "no TON was paid");

    day.Step("balances per currency: a USDT top-up credits the USDT balance only");
    var balancesBefore = (await api.GetBalanceAsync()).Data;
    var usdtBalance = balancesBefore.Balances.Single(b => b.Currency == CurrencyBalanceCurrency.USDT);
    var tonBalance = balancesBefore.Balances.Single(b => b.Currency == CurrencyBalanceCurrency.TON);
    PartnerDay.Check(tonBalance.Topup_address == balancesBefore.Topup_address && usdtBalance.Topup_address is not null && usdtBalance.Topup_address != tonBalance.Topup_address,
        "TON and USDT each have their own top-up address");
    var usdtBefore = Money.ExactUsdt(usdtBalance.Amount, usdtBalance.Amount_units, "USDT balance");
    await simulator.TopUpInUsdtAsync(PartnerDay.Present(usdtBalance.Topup_address, "USDT topup_address"), "2500000");
    var usdtAfter = await WaitForUsdtBalanceAsync(api, usdtBefore + 2_500_000);
    PartnerDay.Check(usdtAfter.Balance_nanoton == balancesBefore.Balance_nanoton, "the TON balance did not move");
    var usdtRows = (await api.ListBalanceTransactionsAsync(limit: 5, currency: Currency.USDT)).Data;
    var usdtTopUp = usdtRows.Items.First();
    PartnerDay.Check(usdtTopUp.Type == LedgerEntryType.Topup && usdtTopUp.Currency == LedgerEntryResponseCurrency.USDT && Money.ExactUsdt(usdtTopUp.Amount_usdt, usdtTopUp.Amount_usdt_units, "ledger amount_usdt") == 2_500_000,
        "the newest USDT ledger row is the 2.5 USDT top-up");
    PartnerDay.Check(usdtRows.Items.All(r => r.Currency == LedgerEntryResponseCurrency.USDT), "?currency=USDT lists USDT rows only");
    PartnerDay.Note($"USDT balance {usdtBalance.Amount} -> {usdtAfter.Balances.Single(b => b.Currency == CurrencyBalanceCurrency.USDT).Amount}; TON {usdtAfter.Balance_ton} unchanged");

    await TestModeDayAsync(day, api, receiver);
});

// The same partner in test mode: its osk_test_ key (a test twin of its own), simulated money through the sandbox
// routes, real signed webhooks to the receiver's test endpoint; and the live key refused on a sandbox route.
static async Task TestModeDayAsync(PartnerDay day, TheOpenMoneyClient live, WebhookReceiver receiver)
{
    using var http = day.CreateHttpClient(day.TestApiKey);
    var api = new TheOpenMoneyClient(http) { BaseUrl = day.ApiUrl };
    const long topUp = 25_000_000_000;

    day.Step("test mode: GET /partner with the test key says mode test (the same Telegram user's test twin)");
    var livePartner = (await live.GetPartnerAsync()).Data;
    var twin = (await api.GetPartnerAsync()).Data;
    PartnerDay.Check(livePartner.Mode == PartnerResponseMode.Live && twin.Mode == PartnerResponseMode.Test, $"modes {livePartner.Mode} and {twin.Mode}");
    PartnerDay.Check(twin.Telegram_user_id == livePartner.Telegram_user_id && twin.Id != livePartner.Id, "the same Telegram user, a partner id of its own");
    PartnerDay.Check(twin.Api_key.Prefix.StartsWith("osk_test_", StringComparison.Ordinal), $"test key prefix {twin.Api_key.Prefix}");
    PartnerDay.Note($"test twin {twin.Id} of partner {livePartner.Id}, key {twin.Api_key.Prefix}");

    day.Step("test mode: register a webhook endpoint on the local receiver");
    var endpoint = (await api.PutWebhookAsync(new PutWebhookRequest { Url = receiver.UrlOf(WebhookReceiver.TestEndpoint) })).Data;
    var secret = PartnerDay.Present(endpoint.Secret, "the test endpoint's secret");
    PartnerDay.Check(endpoint.Enabled && endpoint.Url == receiver.UrlOf(WebhookReceiver.TestEndpoint), $"endpoint {endpoint.Url}");
    PartnerDay.Note($"{endpoint.Url}, secret {endpoint.Secret_prefix}…");

    day.Step("test mode: a Stars ton_memo order, livemode false, a testnet (0Q…) address; the live key cannot see it");
    var order = (await api.CreateStarsOrderAsync(
        new CreateStarsOrderRequest { Recipient_username = "pandus", Quantity = 100, Payment_method = PaymentMethod.Ton_memo, Client_reference = $"cs-nswag-test-{day.Run}" },
        Guid.NewGuid().ToString())).Data;
    PartnerDay.Check(order is { Livemode: false, Status: OrderStatus.Pending_payment, Payment_method: PaymentMethod.Ton_memo }, $"a new test order: livemode {order.Livemode}, {order.Status}");
    var address = PartnerDay.Present(order.Payment_address, "payment_address");
    PartnerDay.Check(address.StartsWith("0Q", StringComparison.Ordinal), $"payment_address {address} is not in testnet form");
    var price = Money.Exact(order.Price_ton, order.Price_nanoton, "test price");
    PartnerDay.Note($"order {order.Id}: {order.Price_ton} TON to {address}, memo {order.Payment_memo}");
    try
    {
        await live.GetOrderAsync(order.Id);
        throw new CheckFailedException("the live key sees a test order");
    }
    catch (ApiException<ErrorEnvelope> e) when (e.StatusCode == 404 && e.Result.Error_code == ErrorCode.NOT_FOUND)
    {
        PartnerDay.Note($"live key: 404 {e.Result.Error_code}");
    }

    day.Step("test mode: pay it through the sandbox (sandboxPayOrder: by default what is due, with its memo)");
    var payment = (await api.SandboxPayOrderAsync(order.Id, new SandboxPaymentRequest())).Data;
    PartnerDay.Check(payment.Applied_as == SandboxPaymentResponseApplied_as.Order_payment, $"applied_as {payment.Applied_as}");
    PartnerDay.Check(Money.Exact(payment.Amount_ton, payment.Amount_nanoton, "sandbox payment") == price, $"sent {payment.Amount_nanoton}, the price is {order.Price_nanoton}");
    PartnerDay.Check(payment.Tx_hash.StartsWith("sandbox-", StringComparison.Ordinal), $"tx_hash {payment.Tx_hash}");
    PartnerDay.Check(payment.Order is { Status: OrderStatus.Paid, Livemode: false } && payment.Order.Id == order.Id, $"the order after the payment is {payment.Order.Status}");
    PartnerDay.Check(Money.Exact(payment.Order.Paid_ton, payment.Order.Paid_nanoton, "paid") == price && payment.Order.Payment_tx_hash == payment.Tx_hash, "paid exactly, by that transaction");
    PartnerDay.Note($"{payment.Applied_as}: {payment.Amount_ton} TON ({payment.Amount_nanoton} nanoTON)");

    day.Step("test mode: wait for completed (the simulated supplier)");
    var completed = await WaitForAsync(api, order.Id, OrderStatus.Completed);
    PartnerDay.Check(completed is { Livemode: false, Completed_at: not null, Payment_request: null }, "completed, nothing due");

    day.Step("test mode: top up through the sandbox (sandboxTopUp); balance exact");
    var before = (await api.GetBalanceAsync()).Data;
    var balanceBefore = Money.Exact(before.Balance_ton, before.Balance_nanoton, "test balance");
    var credited = (await api.SandboxTopUpAsync(new SandboxTopupRequest { Amount_ton = 25m })).Data;
    PartnerDay.Check(credited.Applied_as == SandboxTopupResponseApplied_as.Topup && credited.Tx_hash.StartsWith("sandbox-", StringComparison.Ordinal), $"applied_as {credited.Applied_as}");
    PartnerDay.Check(Money.Exact(credited.Amount_ton, credited.Amount_nanoton, "top-up") == topUp, $"a top-up of {credited.Amount_nanoton} nanoTON");
    PartnerDay.Check(Money.Exact(credited.Balance_ton, credited.Balance_nanoton, "balance after the top-up") == balanceBefore + topUp, $"balance {credited.Balance_nanoton}");
    var balance = await WaitForBalanceAsync(api, balanceBefore + topUp);
    var newest = (await api.ListBalanceTransactionsAsync(limit: 5)).Data.Items.First();
    PartnerDay.Check(newest.Type == LedgerEntryType.Topup && Money.Exact(newest.Amount_ton, newest.Amount_nanoton, "ledger") == topUp && newest.Balance_after_nanoton == balance.Balance_nanoton, "the newest ledger row is the top-up");
    PartnerDay.Note($"test balance {before.Balance_ton} -> {balance.Balance_ton} TON");

    day.Step("test mode: the order.paid webhook arrives at the test endpoint, signed with the test secret");
    var delivered = await receiver.WaitForAsync(
        WebhookReceiver.TestEndpoint, d => d.EventType == "order.paid" && Read(d).Data.Order?.Id == order.Id, "order.paid of the test order", TimeSpan.FromSeconds(30));
    PartnerDay.Check(delivered.IsSignedWith(secret), $"the order.paid signature does not verify: {delivered.Signature}");
    PartnerDay.Check(!delivered.IsSignedWith(secret + "x"), "a wrong secret does not verify");
    var paidEvent = Read(delivered);
    PartnerDay.Check(paidEvent is { Livemode: false, Type: EventType.Order_paid } && paidEvent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) == delivered.EventId, "the delivered event: livemode false, its id in TOM-Event-Id");
    PartnerDay.Check(Money.Exact(paidEvent.Data.Order?.Paid_ton, paidEvent.Data.Order?.Paid_nanoton, "delivered paid") == price, "the delivered order shows the exact payment");
    PartnerDay.Check(receiver.DeliveriesTo(WebhookReceiver.TestEndpoint).All(d => d.IsSignedWith(secret)), "every test delivery verifies");
    PartnerDay.Note($"event {paidEvent.Id} ({delivered.EventType}) delivered, signature OK; {receiver.DeliveriesTo(WebhookReceiver.TestEndpoint).Count} test deliveries");

    day.Step("test mode: GET /events has the test events, livemode false; the live log has none of them");
    // The dispatcher numbers committed events every 100 ms: the top-up's balance.credited may still be on its way.
    var events = await WaitForEventsAsync(api, page => page.Items.Any(e => e.Type == EventType.Balance_credited && e.Data.Transaction?.Amount_nanoton == credited.Amount_nanoton));
    PartnerDay.Check(events.Items.Count > 0 && events.Items.All(e => !e.Livemode), "every test event has livemode false");
    var ofOrder = events.Items.Where(e => e.Data.Order?.Id == order.Id).Select(e => e.Type).ToHashSet();
    PartnerDay.Check(ofOrder.IsSupersetOf([EventType.Order_created, EventType.Order_paid, EventType.Order_completed]), $"the test order's events: {string.Join(", ", ofOrder)}");
    PartnerDay.Check(events.Items.Any(e => e.Type == EventType.Balance_credited && e.Data.Transaction?.Amount_nanoton == credited.Amount_nanoton), "balance.credited for the top-up");
    PartnerDay.Check(events.Items.Any(e => e.Id == paidEvent.Id && e.Type == EventType.Order_paid), "the delivered event is in the log");
    // Event ids are counted per partner and the test twin is a partner of its own: they may repeat live ids.
    var liveEvents = (await live.ListEventsAsync(after: 0, limit: 100)).Data;
    PartnerDay.Check(liveEvents.Items.All(e => e.Livemode && e.Data.Order?.Id != order.Id), "the live key sees live events only");
    PartnerDay.Note($"{events.Items.Count} test events: {string.Join(", ", events.Items.GroupBy(e => e.Type).Select(g => $"{g.Key} x{g.Count()}"))}; {liveEvents.Items.Count} live events");

    day.Step("a live key gets 403 FORBIDDEN on a sandbox route; its balance does not move");
    var liveBefore = (await live.GetBalanceAsync()).Data.Balance_nanoton;
    try
    {
        await live.SandboxTopUpAsync(new SandboxTopupRequest { Amount_ton = 1m });
        throw new CheckFailedException("a live key topped up through the sandbox");
    }
    catch (ApiException<ErrorEnvelope> e) when (e.StatusCode == 403 && e.Result is { Ok: false, Error_code: ErrorCode.FORBIDDEN, Data: null })
    {
        PartnerDay.Note($"403 {e.Result.Error_code}: {e.Result.Error_message}");
    }

    PartnerDay.Check((await live.GetBalanceAsync()).Data.Balance_nanoton == liveBefore, "the live balance is unchanged");
}

static async Task<EventPage> WaitForEventsAsync(TheOpenMoneyClient api, Func<EventPage, bool> done)
{
    var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
    while (true)
    {
        var page = (await api.ListEventsAsync(after: 0, limit: 100)).Data;
        if (done(page) || DateTimeOffset.UtcNow >= deadline)
        {
            return page;
        }

        await Task.Delay(200);
    }
}

// A delivered event read with the generated model (the document's EventResponse is what deliveries carry).
static EventResponse Read(WebhookReceiver.Delivery delivery) =>
    PartnerDay.Present(JsonSerializer.Deserialize<EventResponse>(delivery.Body), "the delivered event");

static async Task<byte[]> ReadAllAsync(Stream stream)
{
    using var bytes = new MemoryStream();
    await stream.CopyToAsync(bytes);
    return bytes.ToArray();
}

static async Task<OrderResponse> WaitForAsync(TheOpenMoneyClient api, long id, OrderStatus status)
{
    var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
    var seen = new List<OrderStatus>();
    while (true)
    {
        var order = (await api.GetOrderAsync(id)).Data;
        if (seen.Count == 0 || seen[^1] != order.Status)
        {
            seen.Add(order.Status);
        }

        if (order.Status == status)
        {
            PartnerDay.Note($"order {id}: {string.Join(" -> ", seen)}");
            return order;
        }

        PartnerDay.Check(order.Status is not (OrderStatus.Failed or OrderStatus.Expired or OrderStatus.Cancelled), $"order {id} ended {order.Status}: {order.Failure_reason}");
        PartnerDay.Check(DateTimeOffset.UtcNow < deadline, $"order {id} is still {order.Status} after 60 s");
        await Task.Delay(500);
    }
}

static async Task<BalanceResponse> WaitForUsdtBalanceAsync(TheOpenMoneyClient api, long units)
{
    var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
    while (true)
    {
        var balance = (await api.GetBalanceAsync()).Data;
        var usdt = balance.Balances.Single(b => b.Currency == CurrencyBalanceCurrency.USDT);
        if (Money.ExactUsdt(usdt.Amount, usdt.Amount_units, "USDT balance") == units)
        {
            return balance;
        }

        PartnerDay.Check(DateTimeOffset.UtcNow < deadline, $"the USDT balance is still {usdt.Amount_units} units, expected {units}");
        await Task.Delay(500);
    }
}

static async Task<BalanceResponse> WaitForBalanceAsync(TheOpenMoneyClient api, long nanoton)
{
    var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
    while (true)
    {
        var balance = (await api.GetBalanceAsync()).Data;
        if (Money.Exact(balance.Balance_ton, balance.Balance_nanoton, "balance") == nanoton)
        {
            return balance;
        }

        PartnerDay.Check(DateTimeOffset.UtcNow < deadline, $"the balance is still {balance.Balance_nanoton} nanoTON, expected {nanoton}");
        await Task.Delay(500);
    }
}

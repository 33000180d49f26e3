// A partner's day through a client generated from the OpenAPI document (openapi-typescript types,
// openapi-fetch calls), written without a type assertion, a non-null assertion or `any`: responses are
// narrowed by checking `error`, `ok` and values at run time. Every response is validated against the
// document by the middleware of validate.ts.
//
// The steps also fetch the payment QR code (SVG and PNG) of a pending order and its 409 once paid.
//
// Then a test-mode day with the same partner's `osk_test_` key: mode "test", a webhook endpoint on a local
// receiver (node:http, signatures verified with node:crypto), a Stars order with a testnet address paid
// through the sandbox (sandboxPayOrder) and polled to completed, a sandbox top-up, the signed order.paid
// delivery, the test events (livemode false), and the live key's 403 on a sandbox route.
//
// Environment: TOM_API_URL (the API), TOM_SIM_URL (the processor simulator), TOM_API_KEY (a partner key),
// TOM_TEST_API_KEY (the same partner's test-mode key, osk_test_…), TOM_OTHER_API_KEY (another partner's key,
// optional), TOM_ORDER_RATE_LIMIT (order creations per key and minute the API was started with; 30 by
// default), TOM_WEBHOOK_PORT (where the test day's webhook receiver listens on 127.0.0.1; any free port by
// default; the API must allow webhooks to it: Webhooks__AllowInsecureUrls and Webhooks__AllowPrivateNetworks),
// TOM_OPENAPI_FILE (the document to validate against; .openapi/v1.json, which `npm run generate` writes, by
// default).
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { DocumentValidator, isRecord } from "./validate.js";

type Order = components["schemas"]["OrderResponse"];
type OrderStatus = Order["status"];
type CreateStarsOrder = components["schemas"]["CreateStarsOrderRequest"];
type PremiumMonths = components["schemas"]["PremiumMonths"];

// The plan lengths a request may name (the document's PremiumMonths enum); GET /pricing/fee lists the plans as
// plain integers, so a plan read there is narrowed to a request's type by this guard, not by an assertion.
const planLengths: readonly PremiumMonths[] = [3, 6, 12];
function isPlanLength(months: number): months is PremiumMonths {
  return planLengths.some((m) => m === months);
}

// The documented error envelope. The document's own error schema must be assignable to it. `data` is
// optional here only because openapi-fetch 0.17 drops a property whose type is exactly `null` from
// response types (openapi-typescript-helpers `Readable`: NonNullable<null> is never, taken for a $Write
// marker; openapi-ts/openapi-typescript#2717, PR #2825 for the request side); fails() still checks at
// run time that it is present and null.
interface ErrorEnvelope {
  readonly ok: false;
  readonly error_code: string;
  readonly error_message: string;
  readonly data?: null;
}

// What openapi-fetch answers, reduced to what these helpers read.
interface Answer<T> {
  readonly data?: { readonly ok: true; readonly data: T };
  readonly error?: ErrorEnvelope;
  readonly response: Response;
}

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === "") throw new Error(`${name} is required`);
  return value;
}

const apiUrl = env("TOM_API_URL", "http://127.0.0.1:8080");
const simUrl = env("TOM_SIM_URL", "http://127.0.0.1:8081");
const apiKey = env("TOM_API_KEY");
const testKey = env("TOM_TEST_API_KEY");
const webhookPort = Number(env("TOM_WEBHOOK_PORT", "0"));
const otherKey = process.env.TOM_OTHER_API_KEY ?? "";
const orderRateLimit = Number(env("TOM_ORDER_RATE_LIMIT", "30"));
const run = Date.now().toString(36);

const here = dirname(fileURLToPath(import.meta.url));
const validator = new DocumentValidator(process.env.TOM_OPENAPI_FILE ?? join(here, "..", ".openapi", "v1.json"));

function partner(key: string | null) {
  const client = createClient<paths>({
    baseUrl: apiUrl,
    headers: key === null ? {} : { Authorization: `Bearer ${key}` },
  });
  client.use(validator.middleware());
  return client;
}

type Client = ReturnType<typeof partner>;

const api = partner(apiKey);
const testApi = partner(testKey);
const anonymous = partner(null);
const wrongKey = partner(`osk_${"x".repeat(43)}`);

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

let steps = 0;
function step(message: string): void {
  steps++;
  console.log(`-- ${message}`);
}

/** The `data` of a success envelope, after checking the status, that there is no error and that `ok` is true. */
function ok<T>(what: string, answer: Answer<T>, status = 200): T {
  if (answer.error) {
    throw new Error(`${what}: HTTP ${answer.response.status} ${answer.error.error_code}: ${answer.error.error_message}`);
  }
  check(answer.response.status === status, `${what}: HTTP ${answer.response.status}, expected ${status}`);
  check(answer.data, `${what}: no body`);
  check(answer.data.ok === true, `${what}: ok is not true`);
  return answer.data.data;
}

/** Checks an error answer: the status, the documented envelope and the error code. */
function fails(what: string, answer: Pick<Answer<unknown>, "error" | "response">, status: number, code: string): ErrorEnvelope {
  check(answer.response.status === status, `${what}: HTTP ${answer.response.status}, expected ${status}`);
  check(answer.error, `${what}: no error body`);
  const error = answer.error;
  check(error.ok === false, `${what}: ok is not false`);
  check("data" in error && error.data === null, `${what}: data is not null`);
  check(error.error_code === code, `${what}: error_code ${error.error_code}, expected ${code}`);
  check(error.error_message.length > 0, `${what}: empty error_message`);
  console.log(`   ${status} ${error.error_code}: ${error.error_message}`);
  return error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Injects a deposit at the processor simulator (not part of the partner API: plain fetch). */
async function deposit(body: { amount: string; user_id?: string; deposit_address?: string; comment?: string; currency?: string }): Promise<void> {
  const response = await fetch(`${simUrl}/_sim/deposits`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  check(response.ok, `simulator refused the deposit: HTTP ${response.status} ${text}`);
  console.log(`   simulator: deposit ${body.amount} ${body.currency === "USDT" ? "USDT units" : "nanoTON"} ${body.comment ?? body.deposit_address ?? ""}`);
}

/**
 * Checks a TON amount against its exact nanoTON twin (a string of digits) and returns the twin as a bigint.
 * The twin divided by 10^9 is the double nearest the amount's decimal text, as JSON.parse made it: both are
 * correctly rounded from the same exact value. Money is then done on the bigint, never on the double.
 */
function exact(what: string, ton: number, twin: string): bigint {
  check(/^-?(0|[1-9][0-9]*)$/.test(twin), `${what}: twin ${twin} is not a nanoTON string`);
  check(Number(twin) / 1e9 === ton, `${what}: ${ton} TON but the twin says ${twin} nanoTON`);
  return BigInt(twin);
}

async function getOrder(id: number, client: Client = api): Promise<Order> {
  return ok(`GET /orders/${id}`, await client.GET("/api/v1/orders/{id}", { params: { path: { id } } }));
}

const finalStatuses: readonly OrderStatus[] = ["completed", "expired", "cancelled", "failed"];

/** Polls GET /orders/{id} until the order reaches `until` (60 s at most). */
async function pollOrder(id: number, until: OrderStatus, timeoutMs = 60_000, client: Client = api): Promise<Order> {
  const deadline = Date.now() + timeoutMs;
  const seen: OrderStatus[] = [];
  for (;;) {
    const order = await getOrder(id, client);
    if (seen[seen.length - 1] !== order.status) seen.push(order.status);
    if (order.status === until) {
      console.log(`   order ${id}: ${seen.join(" -> ")}`);
      return order;
    }
    check(!finalStatuses.includes(order.status), `order ${id} ended ${order.status} (${order.failure_reason ?? ""}), expected ${until}`);
    check(Date.now() < deadline, `order ${id} still ${order.status} after ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

async function day(): Promise<void> {
  step("health (no key)");
  const health = ok("GET /health", await anonymous.GET("/api/v1/health"));
  console.log(`   ${health.status}, components: ${Object.keys(health.components).join(", ")}`);

  step("partner");
  const me = ok("GET /partner", await api.GET("/api/v1/partner"));
  console.log(`   partner ${me.id}, telegram ${me.telegram_user_id}, key ${me.api_key.prefix}`);

  step("pricing: rate, fees, estimates");
  const rate = ok("GET /pricing/ton-rate", await api.GET("/api/v1/pricing/ton-rate"));
  check(rate.ton_usd > 0, "ton_usd must be positive");
  const fee = ok("GET /pricing/fee", await api.GET("/api/v1/pricing/fee"));
  check(fee.payment_methods.includes("ton_memo") && fee.payment_methods.includes("balance"), "payment methods");
  const [plan] = fee.premium;
  check(plan, "no premium plan");
  const months = plan.months;
  check(isPlanLength(months), `plan of ${months} months is not a documented plan length`);
  const starsEstimate = ok(
    "GET /pricing/estimate/stars",
    await api.GET("/api/v1/pricing/estimate/stars", { params: { query: { quantity: 100 } } }),
  );
  check(starsEstimate.order_type === "stars" && starsEstimate.stars_amount === 100, "stars estimate");
  const premiumEstimate = ok(
    "GET /pricing/estimate/premium",
    await api.GET("/api/v1/pricing/estimate/premium", { params: { query: { months } } }),
  );
  check(premiumEstimate.premium_months === plan.months, "premium estimate");
  exact("stars estimate", starsEstimate.price_ton, starsEstimate.price_nanoton);
  exact("premium estimate", premiumEstimate.price_ton, premiumEstimate.price_nanoton);
  exact("ton_rounding_step", fee.ton_rounding_step, fee.nanoton_rounding_step);
  console.log(`   1 TON = ${rate.ton_usd} USD (${rate.source}); fee ${fee.fee_percent}%; 100 Stars = ${starsEstimate.price_ton} TON; Premium ${plan.months} months = ${premiumEstimate.price_ton} TON`);

  step("recipient checks");
  const starsRecipient = ok(
    "GET /recipients/stars",
    await api.GET("/api/v1/recipients/stars", { params: { query: { username: "@pandus" } } }),
  );
  check(starsRecipient.can_receive === true && starsRecipient.reason === null && starsRecipient.username === "pandus", "pandus can receive Stars");
  const premiumRecipient = ok(
    "GET /recipients/premium",
    await api.GET("/api/v1/recipients/premium", { params: { query: { username: "premium_pandus" } } }),
  );
  check(premiumRecipient.can_receive === false && premiumRecipient.reason === "ALREADY_PREMIUM", "premium_pandus already has Premium");

  step("create a Stars ton_memo order with an Idempotency-Key, then replay it");
  const key = randomUUID();
  const reference = `ts-check-${run}`;
  const starsBody: CreateStarsOrder = {
    recipient_username: "pandus",
    quantity: 100,
    payment_method: "ton_memo",
    payment_currency: "TON",
    client_reference: reference,
  };
  const created = await api.POST("/api/v1/orders/stars", { params: { header: { "Idempotency-Key": key } }, body: starsBody });
  const order = ok("POST /orders/stars", created);
  check(created.response.headers.get("Idempotent-Replayed") === null, "a first answer is not a replay");
  check(order.status === "pending_payment" && order.payment_method === "ton_memo", `new order is ${order.status}`);
  check(order.payment_address !== null, "a ton_memo order has a payment_address");
  check(order.payment_link !== null && order.payment_link.startsWith("ton://transfer/"), "payment_link");
  const paymentRequest = order.payment_request;
  check(paymentRequest !== null, "a pending ton_memo order has a payment_request");
  const [message] = paymentRequest.messages;
  check(message, "payment_request has a message");
  exact("price", order.price_ton, order.price_nanoton);
  check(message.amount === order.price_nanoton, `payment_request amount ${message.amount} vs price ${order.price_nanoton} nanoTON`);
  check(order.tonramp === null, "a ton_memo order has no tonramp links");
  console.log(`   order ${order.id}: ${order.price_ton} TON to ${order.payment_address} memo ${order.payment_memo}`);

  const qr = await api.GET("/api/v1/orders/{id}/payment-qr", { params: { path: { id: order.id } }, parseAs: "text" });
  check(qr.response.status === 200 && qr.response.headers.get("content-type")?.startsWith("image/svg+xml"), "payment QR as SVG");
  check(typeof qr.data === "string" && qr.data.includes("<svg"), "the QR code is an SVG document");
  const png = await api.GET("/api/v1/orders/{id}/payment-qr", {
    params: { path: { id: order.id }, query: { format: "png" } },
    parseAs: "arrayBuffer",
  });
  check(png.data instanceof ArrayBuffer && new Uint8Array(png.data, 0, 4).join(",") === "137,80,78,71", "the QR code as PNG");

  const replayed = await api.POST("/api/v1/orders/stars", { params: { header: { "Idempotency-Key": key } }, body: starsBody });
  const replay = ok("POST /orders/stars (replay)", replayed);
  check(replay.id === order.id, `replay answered order ${replay.id}, expected ${order.id}`);
  check(replayed.response.headers.get("Idempotent-Replayed") === "true", "Idempotent-Replayed: true on the replay");
  fails(
    "POST /orders/stars (same key, other body)",
    await api.POST("/api/v1/orders/stars", { params: { header: { "Idempotency-Key": key } }, body: { ...starsBody, quantity: 101 } }),
    422,
    "IDEMPOTENCY_KEY_REUSED",
  );

  step("pay it through the simulator and poll to completed");
  await deposit({ user_id: "orders", amount: message.amount, comment: order.payment_memo });
  const completed = await pollOrder(order.id, "completed");
  check(exact("paid", completed.paid_ton, completed.paid_nanoton) === BigInt(order.price_nanoton), `paid_nanoton ${completed.paid_nanoton}`);
  check(completed.paid_at !== null && completed.completed_at !== null, "paid_at and completed_at");
  check(completed.payment_request === null && completed.payment_link === null, "no payment instructions once paid");
  fails(
    "GET /orders/{id}/payment-qr of a completed order",
    await api.GET("/api/v1/orders/{id}/payment-qr", { params: { path: { id: order.id } }, parseAs: "text" }),
    409,
    "ORDER_NOT_PAYABLE",
  );

  step("a USDT order: priced in USDT, a jetton payment_link and no payment_request; paid in USDT, polled to completed");
  const usdtOrder = ok(
    "POST /orders/stars (USDT)",
    await api.POST("/api/v1/orders/stars", {
      body: { recipient_username: "pandus", quantity: 100, payment_method: "ton_memo", payment_currency: "USDT" },
    }),
  );
  const usdtUnits = usdtOrder.price_usdt_units;
  check(usdtOrder.payment_currency === "USDT", `payment_currency ${usdtOrder.payment_currency}`);
  check(typeof usdtUnits === "string" && /^[1-9][0-9]*$/.test(usdtUnits), `price_usdt_units ${usdtUnits}`);
  check(BigInt(usdtUnits) === BigInt(Math.round((usdtOrder.price_usdt ?? 0) * 1_000_000)), `price_usdt ${usdtOrder.price_usdt} vs ${usdtUnits} units`);
  check(usdtOrder.payment_request === null, "a USDT order has no TON Connect request (the payer's jetton wallet is the payer's)");
  check(
    usdtOrder.payment_link !== null && usdtOrder.payment_link.startsWith(`ton://transfer/${usdtOrder.payment_address}?jetton=`)
      && usdtOrder.payment_link.includes(`&amount=${usdtUnits}&text=${usdtOrder.payment_memo}`),
    `jetton payment_link ${usdtOrder.payment_link}`,
  );
  check(usdtOrder.payment_address !== order.payment_address, "USDT is paid to the USDT orders address, not TON's");
  console.log(`   order ${usdtOrder.id}: ${usdtOrder.price_usdt} USDT to ${usdtOrder.payment_address} memo ${usdtOrder.payment_memo}`);
  await deposit({ user_id: "orders", currency: "USDT", amount: usdtUnits ?? "0", comment: usdtOrder.payment_memo });
  const usdtDone = await pollOrder(usdtOrder.id, "completed");
  check(usdtDone.paid_usdt_units === usdtUnits && usdtDone.paid_nanoton === "0", `paid_usdt_units ${usdtDone.paid_usdt_units}, paid_nanoton ${usdtDone.paid_nanoton}`);

  step("top up the balance through the simulator");
  const before = ok("GET /balance", await api.GET("/api/v1/balance"));
  const topupAddress = before.topup_address;
  check(topupAddress !== null, "the balance has a topup_address");
  const topUp = 5_000_000_000n;
  await deposit({ deposit_address: topupAddress, amount: topUp.toString() });
  const deadline = Date.now() + 60_000;
  let balance = before;
  const expected = exact("balance", before.balance_ton, before.balance_nanoton) + topUp;
  while (exact("balance", balance.balance_ton, balance.balance_nanoton) < expected) {
    check(Date.now() < deadline, `balance still ${balance.balance_ton} TON after the top-up`);
    await sleep(500);
    balance = ok("GET /balance", await api.GET("/api/v1/balance"));
  }
  console.log(`   balance ${before.balance_ton} -> ${balance.balance_ton} ${balance.currency}`);

  step("a balance-paid Premium order, polled to completed");
  const premiumCreated = ok(
    "POST /orders/premium",
    await api.POST("/api/v1/orders/premium", {
      params: { header: { "Idempotency-Key": randomUUID() } },
      body: { recipient_username: "pandus", months, payment_method: "balance", client_reference: reference },
    }),
  );
  check(premiumCreated.payment_method === "balance" && premiumCreated.status !== "pending_payment", `balance order is ${premiumCreated.status}`);
  check(premiumCreated.payment_address === null && premiumCreated.payment_request === null, "a balance order has no payment instructions");
  const premiumDone = await pollOrder(premiumCreated.id, "completed");
  check(premiumDone.premium_months === plan.months, "premium_months");

  step("lists: orders, by-memo, by-reference");
  const page = ok("GET /orders", await api.GET("/api/v1/orders", { params: { query: { limit: 10, offset: 0 } } }));
  const listed = page.items.map((o) => o.id);
  check(listed.includes(order.id) && listed.includes(premiumCreated.id), `GET /orders lists ${listed.join(",")}`);
  check(page.limit === 10 && page.offset === 0 && page.total >= 2, "page fields");
  const completedOnly = ok(
    "GET /orders?status=completed",
    await api.GET("/api/v1/orders", { params: { query: { status: "completed", order_type: "stars" } } }),
  );
  check(completedOnly.items.every((o) => o.status === "completed" && o.order_type === "stars"), "status filter");
  const byMemo = ok(
    "GET /orders/by-memo",
    await api.GET("/api/v1/orders/by-memo/{memo}", { params: { path: { memo: order.payment_memo } } }),
  );
  check(byMemo.id === order.id, "by-memo finds the order");
  const byReference = ok(
    "GET /orders/by-reference",
    await api.GET("/api/v1/orders/by-reference/{ref}", { params: { path: { ref: reference } } }),
  );
  check(byReference.total === 2 && byReference.items.every((o) => o.client_reference === reference), `by-reference total ${byReference.total}`);

  step("stats, balance and ledger");
  const stats = ok("GET /orders/stats/summary", await api.GET("/api/v1/orders/stats/summary"));
  check(stats.total_orders >= 2 && (stats.by_status["completed"] ?? 0) >= 2, `stats: ${stats.total_orders} orders`);
  check(stats.stars_delivered >= 100 && stats.premium_months_delivered >= plan.months, "stats delivered");
  const after = ok("GET /balance", await api.GET("/api/v1/balance"));
  const ledger = ok(
    "GET /balance/transactions",
    await api.GET("/api/v1/balance/transactions", { params: { query: { limit: 20 } } }),
  );
  const types = ledger.items.map((e) => e.type);
  check(types.includes("topup") && types.includes("order_payment"), `ledger types ${types.join(",")}`);
  const [latest] = ledger.items;
  check(latest && latest.balance_after_nanoton === after.balance_nanoton, "the newest ledger row matches the balance");
  for (const row of ledger.items) {
    exact(`ledger ${row.id} amount`, row.amount_ton, row.amount_nanoton);
    exact(`ledger ${row.id} balance_after`, row.balance_after_ton, row.balance_after_nanoton);
  }
  exact("ton_received", stats.ton_received, stats.nanoton_received);
  exact("ton_spent", stats.ton_spent, stats.nanoton_spent);
  console.log(`   ${stats.total_orders} orders, ${stats.stars_delivered} Stars delivered; balance ${after.balance_ton} TON; ${ledger.total} ledger rows`);

  step("create another ton_memo order and cancel it");
  const toCancel = ok(
    "POST /orders/stars",
    await api.POST("/api/v1/orders/stars", {
      params: { header: { "Idempotency-Key": randomUUID() } },
      body: { recipient_username: "pandus", quantity: 50 },
    }),
  );
  const cancelled = ok(
    "POST /orders/{id}/cancel",
    await api.POST("/api/v1/orders/{id}/cancel", { params: { path: { id: toCancel.id } } }),
  );
  check(cancelled.status === "cancelled" && cancelled.cancelled_at !== null, `cancel gave ${cancelled.status}`);

  step("withdrawals: typed list; without the bot asking is 503 and holds nothing");
  const withdrawals = ok(
    "GET /balance/withdrawals",
    await api.GET("/api/v1/balance/withdrawals", { params: { query: { limit: 20 } } }),
  );
  check(withdrawals.total === withdrawals.items.length, `withdrawals: ${withdrawals.total}`);
  const heldBefore = ok("GET /balance", await api.GET("/api/v1/balance")).balance_nanoton;
  fails(
    "POST /balance/withdrawals without the bot",
    await api.POST("/api/v1/balance/withdrawals", {
      params: { header: { "Idempotency-Key": randomUUID() } },
      body: { amount_ton: 0.5, destination: "UQBFJTkJ5hZdH7i6rWQTnm43zn6h2dPBV9lFZ2e98WvWAP29" },
    }),
    503,
    "SERVICE_UNAVAILABLE",
  );
  const heldAfter = ok("GET /balance", await api.GET("/api/v1/balance")).balance_nanoton;
  check(heldAfter === heldBefore, `the balance moved: ${heldBefore} -> ${heldAfter}`);

  step("errors");
  fails("GET /balance without a key", await anonymous.GET("/api/v1/balance"), 401, "UNAUTHORIZED");
  fails("GET /balance with a wrong key", await wrongKey.GET("/api/v1/balance"), 401, "UNAUTHORIZED");
  fails("GET /orders/{unknown}", await api.GET("/api/v1/orders/{id}", { params: { path: { id: 987654321 } } }), 404, "NOT_FOUND");
  if (otherKey !== "") {
    const other = partner(otherKey);
    fails("GET another partner's order", await other.GET("/api/v1/orders/{id}", { params: { path: { id: order.id } } }), 404, "NOT_FOUND");
  }
  fails(
    "cancel a completed order",
    await api.POST("/api/v1/orders/{id}/cancel", { params: { path: { id: order.id } } }),
    409,
    "ORDER_NOT_CANCELLABLE",
  );
  fails(
    "POST /orders/stars as text/plain",
    await api.POST("/api/v1/orders/stars", {
      body: { recipient_username: "pandus", quantity: 100 },
      bodySerializer: (body) => JSON.stringify(body),
      headers: { "Content-Type": "text/plain" },
    }),
    415,
    "UNSUPPORTED_MEDIA_TYPE",
  );
  fails(
    "POST /orders/stars quantity 1",
    await api.POST("/api/v1/orders/stars", { body: { recipient_username: "pandus", quantity: 1 } }),
    422,
    "VALIDATION_ERROR",
  );

  step(`rate limit: order creation past ${orderRateLimit} a minute`);
  let limited = false;
  for (let i = 0; i <= orderRateLimit && !limited; i++) {
    const attempt = await api.POST("/api/v1/orders/stars", { body: { recipient_username: "pandus", quantity: 1 } });
    if (attempt.response.status === 429) {
      fails("POST /orders/stars past the limit", attempt, 429, "RATE_LIMITED");
      const retryAfter = Number(attempt.response.headers.get("Retry-After"));
      check(retryAfter > 0, "Retry-After on 429");
      limited = true;
    } else {
      fails("POST /orders/stars quantity 1", attempt, 422, "VALIDATION_ERROR");
    }
  }
  check(limited, `no 429 after ${orderRateLimit + 1} order creations`);
  const still = ok("GET /balance after the 429", await api.GET("/api/v1/balance"));
  check(still.currency === "TON", "other requests still answer");
}

/** One POST the service made to the webhook receiver: the headers it reads and the raw body (what was signed). */
interface Delivery {
  readonly eventId: string;
  readonly eventType: string;
  readonly signature: string;
  readonly body: Buffer;
}

function headerValue(value: string | string[] | undefined): string {
  return typeof value === "string" ? value : "";
}

/** A partner's webhook endpoint on 127.0.0.1 (node:http): keeps every POST to its path with the raw body, answers 204. */
class WebhookReceiver {
  static readonly path = "/theopenmoney/events";
  readonly deliveries: Delivery[] = [];
  private readonly server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method !== "POST" || request.url !== WebhookReceiver.path) {
        response.writeHead(404).end();
        return;
      }
      this.deliveries.push({
        eventId: headerValue(request.headers["tom-event-id"]),
        eventType: headerValue(request.headers["tom-event-type"]),
        signature: headerValue(request.headers["tom-signature"]),
        body: Buffer.concat(chunks),
      });
      response.writeHead(204).end();
    });
  });
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}${WebhookReceiver.path}`;
  }

  async start(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve());
    });
    const address = this.server.address();
    check(address !== null && typeof address !== "string", "the receiver listens on a TCP port");
    this.port = address.port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The first delivery that matches (30 s at most). */
  async waitFor(what: string, matches: (delivery: Delivery) => boolean, timeoutMs = 30_000): Promise<Delivery> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.deliveries.find(matches);
      if (found) return found;
      check(Date.now() < deadline, `no ${what} reached the webhook receiver within ${timeoutMs / 1000} s`);
      await sleep(200);
    }
  }
}

/**
 * Whether the delivery's `TOM-Signature: t=<unix>,v1=<hex>` verifies: HMAC-SHA256 with the whole `whsec_…` secret
 * of `"<t>."` followed by the raw body, any `v1=` may match, compared in constant time; `t` within 5 minutes.
 */
function signedWith(delivery: Delivery, secret: string, toleranceSeconds = 300): boolean {
  const fields = delivery.signature.split(",").map((part): [string, string] => {
    const at = part.indexOf("=");
    return at < 0 ? ["", ""] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
  const timestamps = fields.filter(([name]) => name === "t").map(([, value]) => value);
  const signatures = fields.filter(([name]) => name === "v1").map(([, value]) => value);
  const [t] = timestamps;
  if (timestamps.length !== 1 || t === undefined || !/^[0-9]{1,12}$/.test(t) || signatures.length === 0) return false;
  if (Math.abs(Date.now() / 1000 - Number(t)) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.`).update(delivery.body).digest("hex"));
  return signatures.some((v1) => v1.length === expected.length && timingSafeEqual(Buffer.from(v1), expected));
}

/** What the test day reads of a delivered event (parsed from the raw body, narrowed at run time). */
function deliveredEvent(delivery: Delivery): { id: number; livemode: boolean; type: string; orderId: number | null } {
  const event: unknown = JSON.parse(delivery.body.toString("utf8"));
  check(isRecord(event), "a delivery's body is a JSON object");
  const { id, livemode, type, data } = event;
  check(typeof id === "number" && typeof livemode === "boolean" && typeof type === "string" && isRecord(data), "a delivered event has id, livemode, type and data");
  const order = data.order;
  const orderId = isRecord(order) && typeof order.id === "number" ? order.id : null;
  return { id, livemode, type, orderId };
}

/** The same partner in test mode: its osk_test_ key, simulated money through the sandbox routes, real webhooks. */
async function testModeDay(): Promise<void> {
  step("test mode: GET /partner with the test key says mode test (the same Telegram user's test twin)");
  const live = ok("GET /partner", await api.GET("/api/v1/partner"));
  const me = ok("GET /partner (test key)", await testApi.GET("/api/v1/partner"));
  check(live.mode === "live", `the live key's mode is ${live.mode}`);
  check(me.mode === "test", `the test key's mode is ${me.mode}`);
  check(me.telegram_user_id === live.telegram_user_id && me.id !== live.id, "the test twin: the same Telegram user, a partner id of its own");
  check(me.api_key.prefix.startsWith("osk_test_"), `test key prefix ${me.api_key.prefix}`);
  console.log(`   test twin ${me.id} of partner ${live.id}, key ${me.api_key.prefix}`);

  const receiver = new WebhookReceiver();
  await receiver.start(webhookPort);
  try {
    step("test mode: register a webhook endpoint on a local receiver");
    let endpoint = ok("PUT /webhook (test key)", await testApi.PUT("/api/v1/webhook", { body: { url: receiver.url } }));
    if (endpoint.secret === null) {
      // An endpoint from an earlier run keeps its secret (shown once, then): start again with a new one.
      console.log("   an endpoint was already registered: deleting it for a new secret");
      check(ok("DELETE /webhook (test key)", await testApi.DELETE("/api/v1/webhook")).deleted, "deleted");
      endpoint = ok("PUT /webhook (test key)", await testApi.PUT("/api/v1/webhook", { body: { url: receiver.url } }));
    }
    const secret = endpoint.secret;
    check(secret !== null && secret.startsWith("whsec_"), "a new endpoint's secret is shown once");
    check(endpoint.enabled && endpoint.url === receiver.url, `endpoint ${endpoint.url} enabled ${endpoint.enabled}`);
    console.log(`   ${endpoint.url}, secret ${endpoint.secret_prefix}…, events ${endpoint.events.join(", ")}`);

    step("test mode: a Stars ton_memo order, livemode false, a testnet (0Q…) address; the live key cannot see it");
    const created = ok(
      "POST /orders/stars (test key)",
      await testApi.POST("/api/v1/orders/stars", {
        params: { header: { "Idempotency-Key": randomUUID() } },
        body: { recipient_username: "pandus", quantity: 100, payment_method: "ton_memo", client_reference: `ts-check-test-${run}` },
      }),
    );
    check(created.livemode === false, `livemode ${created.livemode}`);
    check(created.status === "pending_payment" && created.payment_method === "ton_memo", `a new test order is ${created.status}`);
    const address = created.payment_address;
    check(address !== null && address.startsWith("0Q"), `payment_address ${address ?? "null"} is not in testnet form`);
    check(created.payment_link !== null && created.payment_link.startsWith(`ton://transfer/${address}?`), "payment_link to the sandbox address");
    const price = exact("test price", created.price_ton, created.price_nanoton);
    console.log(`   order ${created.id}: ${created.price_ton} TON to ${address} memo ${created.payment_memo}`);
    fails("GET the test order with the live key", await api.GET("/api/v1/orders/{id}", { params: { path: { id: created.id } } }), 404, "NOT_FOUND");

    step("test mode: pay it through the sandbox (sandboxPayOrder: by default what is due, with its memo)");
    const payment = ok(
      "POST /sandbox/orders/{id}/pay",
      await testApi.POST("/api/v1/sandbox/orders/{id}/pay", { params: { path: { id: created.id } }, body: {} }),
    );
    check(payment.applied_as === "order_payment", `applied_as ${payment.applied_as}`);
    check(exact("sandbox payment", payment.amount_ton, payment.amount_nanoton) === price, `sent ${payment.amount_nanoton}, price ${created.price_nanoton}`);
    check(payment.tx_hash.startsWith("sandbox-"), `tx_hash ${payment.tx_hash}`);
    const paidOrder = payment.order;
    check(paidOrder.id === created.id && paidOrder.status === "paid" && paidOrder.livemode === false, `the order after the payment is ${paidOrder.status}`);
    check(exact("paid", paidOrder.paid_ton, paidOrder.paid_nanoton) === price && paidOrder.payment_tx_hash === payment.tx_hash, "paid exactly, by that transaction");
    console.log(`   ${payment.applied_as}: ${payment.amount_ton} TON, ${payment.tx_hash.slice(0, 20)}…`);

    step("test mode: poll it to completed (the simulated supplier)");
    const done = await pollOrder(created.id, "completed", 60_000, testApi);
    check(done.livemode === false && done.completed_at !== null && done.payment_request === null, "completed, nothing due");

    step("test mode: top up the test balance through the sandbox (sandboxTopUp)");
    const before = ok("GET /balance (test key)", await testApi.GET("/api/v1/balance"));
    const beforeNano = exact("test balance", before.balance_ton, before.balance_nanoton);
    const topUp = ok("POST /sandbox/balance/topup", await testApi.POST("/api/v1/sandbox/balance/topup", { body: { amount_ton: 25 } }));
    check(topUp.applied_as === "topup" && topUp.tx_hash.startsWith("sandbox-"), `applied_as ${topUp.applied_as}`);
    check(exact("top-up", topUp.amount_ton, topUp.amount_nanoton) === 25_000_000_000n, `top-up of ${topUp.amount_nanoton} nanoTON`);
    check(exact("balance after the top-up", topUp.balance_ton, topUp.balance_nanoton) === beforeNano + 25_000_000_000n, `balance ${topUp.balance_nanoton}`);
    const after = ok("GET /balance (test key)", await testApi.GET("/api/v1/balance"));
    check(after.balance_nanoton === topUp.balance_nanoton, `GET /balance says ${after.balance_nanoton}, the top-up ${topUp.balance_nanoton}`);
    const ledger = ok("GET /balance/transactions (test key)", await testApi.GET("/api/v1/balance/transactions", { params: { query: { limit: 5 } } }));
    const [newest] = ledger.items;
    check(newest && newest.type === "topup" && newest.amount_nanoton === "25000000000" && newest.balance_after_nanoton === after.balance_nanoton, "the newest ledger row is the top-up");
    console.log(`   test balance ${before.balance_ton} -> ${after.balance_ton} TON`);

    step("test mode: the order.paid webhook reaches the receiver; its TOM-Signature verifies with the test secret");
    const delivery = await receiver.waitFor("order.paid of the test order", (d) => d.eventType === "order.paid" && deliveredEvent(d).orderId === created.id);
    check(signedWith(delivery, secret), `the order.paid signature does not verify: ${delivery.signature}`);
    check(!signedWith(delivery, `${secret}x`), "a wrong secret does not verify");
    const paidEvent = deliveredEvent(delivery);
    check(paidEvent.livemode === false && paidEvent.type === "order.paid" && String(paidEvent.id) === delivery.eventId, "the delivered event: livemode false, its id in TOM-Event-Id");
    check(receiver.deliveries.every((d) => signedWith(d, secret)), "every delivery so far verifies");
    console.log(`   event ${paidEvent.id} (${paidEvent.type}) delivered to ${receiver.url}, signature OK; ${receiver.deliveries.length} deliveries`);

    step("test mode: GET /events has the test events, livemode false; the live key's events have none of them");
    // The dispatcher numbers committed events every 100 ms: the top-up's balance.credited may still be on its way.
    const eventsDeadline = Date.now() + 30_000;
    let events = ok("GET /events (test key)", await testApi.GET("/api/v1/events", { params: { query: { after: 0, limit: 100 } } }));
    const hasTopUp = (): boolean => events.items.some((e) => e.type === "balance.credited" && e.data.transaction?.amount_nanoton === topUp.amount_nanoton);
    while (!hasTopUp() && Date.now() < eventsDeadline) {
      await sleep(200);
      events = ok("GET /events (test key)", await testApi.GET("/api/v1/events", { params: { query: { after: 0, limit: 100 } } }));
    }
    check(events.items.length > 0 && events.items.every((e) => e.livemode === false), "every test event has livemode false");
    const ofOrder = events.items.filter((e) => e.data.order?.id === created.id).map((e) => e.type);
    check(["order.created", "order.paid", "order.completed"].every((t) => ofOrder.some((e) => e === t)), `the test order's events: ${ofOrder.join(", ")}`);
    check(hasTopUp(), "balance.credited for the top-up");
    check(events.items.some((e) => e.id === paidEvent.id), "the delivered event is in the log");
    const liveEvents = ok("GET /events", await api.GET("/api/v1/events", { params: { query: { after: 0, limit: 100 } } }));
    // Event ids are counted per partner, and the test twin is a partner of its own: the ids may repeat the live
    // ones, so the live log is told apart by livemode and by the orders in it.
    check(liveEvents.items.every((e) => e.livemode === true && e.data.order?.id !== created.id), "the live key sees live events only");
    console.log(`   ${events.items.length} test events: ${[...new Set(events.items.map((e) => e.type))].join(", ")}; ${liveEvents.items.length} live events`);
  } finally {
    await receiver.close();
  }

  step("a live key gets 403 FORBIDDEN on a sandbox route, and its balance does not move");
  const liveBefore = ok("GET /balance", await api.GET("/api/v1/balance")).balance_nanoton;
  fails("POST /sandbox/balance/topup with the live key", await api.POST("/api/v1/sandbox/balance/topup", { body: { amount_ton: 1 } }), 403, "FORBIDDEN");
  const liveAfter = ok("GET /balance", await api.GET("/api/v1/balance")).balance_nanoton;
  check(liveAfter === liveBefore, `the live balance moved: ${liveBefore} -> ${liveAfter}`);
}

/** Runs one day; a failure is printed and stops that day only. */
async function attempt(name: string, run: () => Promise<void>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (error) {
    console.error(`\n!! the ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

let status = 0;
console.log(`== partner day against ${apiUrl} (OpenAPI ${validator.version})`);
const liveOk = await attempt("day", day);
console.log(`\n== test-mode day (osk_test_ key)`);
const testOk = await attempt("test-mode day", testModeDay);
if (liveOk && testOk) {
  console.log(`\n== ${steps} steps done (the live day and the test-mode day)`);
} else {
  status = 1;
}
if (validator.summary() > 0) status = 1;
console.log(status === 0 ? "== OK" : "== FAILED");
process.exit(status);

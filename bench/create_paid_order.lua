-- POST /api/v1/orders/stars paid from the balance (so each order is paid at creation: one order.paid event).
-- TOM_BENCH_COUNT: each thread stops after its share of that many answers. TOM_BENCH_RATE (optional):
-- the overall request rate, spread over the connections (each waits connections/rate between requests).
local counter = 0
local answered = 0
local share = 0
local pause = 0
local prefix = ""

function setup(thread)
  thread:set("id", tostring(math.random(1, 1e9)))
end

function init(args)
  prefix = "bench-paid-" .. id .. "-" .. tostring(os.time()) .. "-"
  local threads = tonumber(os.getenv("TOM_BENCH_THREADS"))
  share = math.ceil(tonumber(os.getenv("TOM_BENCH_COUNT")) / threads)
  local rate = tonumber(os.getenv("TOM_BENCH_RATE") or "0")
  if rate > 0 then
    pause = tonumber(os.getenv("TOM_BENCH_CONNECTIONS")) * 1000 / rate
  end
end

function delay()
  return pause
end

function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. os.getenv("TOM_BENCH_KEY"),
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }
  local body = '{"recipient_username":"pandus","quantity":100,"payment_method":"balance","client_reference":"bench"}'
  return wrk.format("POST", "/api/v1/orders/stars", headers, body)
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= share then
    wrk.thread:stop()
  end
end

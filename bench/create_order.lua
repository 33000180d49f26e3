-- POST /api/v1/orders/stars with a unique Idempotency-Key per request: ton_memo (no balance needed), or
-- TOM_BENCH_METHOD (e.g. balance).
local counter = 0
local prefix = ""

function setup(thread)
  thread:set("id", tostring(math.random(1, 1e9)))
end

function init(args)
  prefix = "bench-" .. id .. "-" .. tostring(os.time()) .. "-"
end

function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. os.getenv("TOM_BENCH_KEY"),
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }
  local body = '{"recipient_username":"pandus","quantity":100,"payment_method":"' .. (os.getenv("TOM_BENCH_METHOD") or "ton_memo") .. '","client_reference":"bench"}'
  return wrk.format("POST", "/api/v1/orders/stars", headers, body)
end

function response(status, headers, body)
  if status ~= 200 then
    errors_seen = (errors_seen or 0) + 1
  end
end

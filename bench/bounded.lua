-- Appended to a request script: each thread stops after its share of TOM_BENCH_COUNT answers, and with
-- TOM_BENCH_RATE set the overall rate is spread over the connections (each waits connections/rate
-- between requests). Needs TOM_BENCH_THREADS and TOM_BENCH_CONNECTIONS (wrk's -t and -c).
local answered = 0
local share = 0
local pause = 0
local request_init = init

function init(args)
  request_init(args)
  share = math.ceil(tonumber(os.getenv("TOM_BENCH_COUNT")) / tonumber(os.getenv("TOM_BENCH_THREADS")))
  local rate = tonumber(os.getenv("TOM_BENCH_RATE") or "0")
  if rate > 0 then
    pause = tonumber(os.getenv("TOM_BENCH_CONNECTIONS")) * 1000 / rate
  end
end

function delay()
  return pause
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= share then
    wrk.thread:stop()
  end
end

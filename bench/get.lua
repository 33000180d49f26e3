-- GET of the path in TOM_BENCH_PATH with the bench key (no key when TOM_BENCH_ANON is set).
function request()
  local headers = {}
  if os.getenv("TOM_BENCH_ANON") == nil then
    headers["Authorization"] = "Bearer " .. os.getenv("TOM_BENCH_KEY")
  end
  return wrk.format("GET", os.getenv("TOM_BENCH_PATH"), headers)
end

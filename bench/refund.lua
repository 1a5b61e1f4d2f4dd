-- wrk: each request a new refund request on its own delivered sub-order (so each is routed and
-- opens a claim), or the same body to the bare baseline view. Set by the environment:
-- BENCH_PATH, BENCH_TOKEN, BENCH_FIRST (first sub-order index), BENCH_RUN (keeps refund ids
-- unique across runs), BENCH_REQUESTED_AT.
local path = os.getenv("BENCH_PATH")
local token = os.getenv("BENCH_TOKEN")
local first = tonumber(os.getenv("BENCH_FIRST"))
local run = os.getenv("BENCH_RUN")
local requested_at = os.getenv("BENCH_REQUESTED_AT")
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token " .. token

request = function()
  local index = first + n
  n = n + 1
  local body = string.format(
    '{"refund_id":"bench-rf-%s-%d","sub_order_id":"bench-so-%d","kind":"refund_only","reason":"quality",' ..
    '"amount":"150.00","description":"壶底漏水,无法加热","requested_at":"%s","buyer_level":"normal"}',
    run, index, index, requested_at)
  return wrk.format(nil, path, nil, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.6f,"p50_ms":%.3f,"p99_ms":%.3f,"errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    errors.connect + errors.read + errors.write + errors.timeout + errors.status))
end

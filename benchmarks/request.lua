-- wrk script of the mockgate benchmarks (benchmarks/load.py runs it).
-- The request: method from BENCH_METHOD (GET), JSON body from BENCH_BODY (none); headers come
-- from wrk's -H. At the end, one machine-readable line with the figures load.py reads.

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'MOCKGATE-BENCH {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"max_us":%.0f,' ..
    '"connect_errors":%.0f,"read_errors":%.0f,"write_errors":%.0f,' ..
    '"status_errors":%.0f,"timeouts":%.0f}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end

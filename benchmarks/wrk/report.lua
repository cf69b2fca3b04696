-- wrk script for plain GETs: no per-request Lua (wrk sends its prebuilt request); prints
-- one line "WRK {json}" with wrk's own latency figures (microseconds) and the non-2xx count.
function done(summary, latency, requests)
  local function q(p) return latency:percentile(p) end
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"errors":%d,"all":{"n":%d,"p50":%.1f,"p99":%.1f,"max":%.1f}}\n',
    summary.requests, summary.duration, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout, summary.requests, q(50), q(99), latency.max))
end

-- wrk script: each connection claims one file, releases it, and again (POST /claims, DELETE /claims/{id}).
-- Run with as many threads as connections (-t N -c N): a thread's request/response calls then
-- belong to its one connection, so the claim id read from a response is that connection's.
--   wrk -t16 -c16 -d8s -s claim_release.lua http://127.0.0.1:8080 -- TOKEN REPO
-- Prints one line "WRK {json}" with claim and release latencies (microseconds) and the error count.
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]])
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

claim_us, release_us, errors, first_error = {}, {}, 0, ""
local token, repo, engineer, headers
local held, started, i = nil, 0, 0

function init(args)
  token, repo = args[1], args[2]
  engineer = "bench" .. tid .. "/agent/1"
  headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

function request()
  started = now_us()
  if held then
    return wrk.format("DELETE", "/claims/" .. held .. "?engineer=" .. engineer, headers)
  end
  i = i + 1
  -- threads 0..49 each own a directory outside the preloaded ones (d150..d199)
  local path = string.format("d%d/s%d/f%d.%s", 150 + tid % 50, math.floor(i / 10) % 10, i % 10, (i % 2 == 1) and "ts" or "py")
  local body = string.format('{"engineer":"%s","repo_id":"%s","claims":[{"type":"file","pattern":"%s"}]}', engineer, repo, path)
  return wrk.format("POST", "/claims", headers, body)
end

function response(status, hdrs, body)
  local elapsed = now_us() - started
  if held then
    release_us[#release_us + 1] = elapsed
    held = nil
  else
    claim_us[#claim_us + 1] = elapsed
    if status == 200 then
      held = string.match(body, '"id":(%d+)')
    end
  end
  if status ~= 200 then
    errors = errors + 1
    if first_error == "" then
      first_error = status .. " " .. string.sub(body, 1, 200)
    end
  end
end

local function percentiles(values)
  table.sort(values)
  local n = #values
  local function at(q)
    if n == 0 then return -1 end
    return values[math.min(n, math.floor(q * n) + 1)]
  end
  return string.format('{"n":%d,"p50":%.1f,"p99":%.1f,"max":%.1f}', n, at(0.5), at(0.99), n > 0 and values[n] or -1)
end

function done(summary, latency, requests)
  local claims, releases, errs, first = {}, {}, 0, ""
  for _, thread in ipairs(threads) do
    for _, v in ipairs(thread:get("claim_us")) do claims[#claims + 1] = v end
    for _, v in ipairs(thread:get("release_us")) do releases[#releases + 1] = v end
    errs = errs + thread:get("errors")
    if first == "" then first = thread:get("first_error") end
  end
  local all = {}
  for _, v in ipairs(claims) do all[#all + 1] = v end
  for _, v in ipairs(releases) do all[#all + 1] = v end
  first = string.gsub(first, '[%c"\\]', " ")
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"errors":%d,"first_error":"%s","all":%s,"claim":%s,"release":%s}\n',
    summary.requests, summary.duration, errs, first, percentiles(all), percentiles(claims), percentiles(releases)))
end

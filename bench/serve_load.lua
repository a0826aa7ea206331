-- wrk script of bench/serve_load.sh: POST /predict with JSON bodies read from a file (one per line),
-- rotated per request (each thread starts at a different body), counting responses by status code.
--   wrk -c 8 -t 2 -d 20s --latency -s bench/serve_load.lua http://127.0.0.1:PORT -- BODIES_FILE
-- done() prints one line: "serve_load requests=... duration_s=... rps=... p50_ms=... p99_ms=... max_ms=...
-- mean_ms=... non2xx=... socket_errors=... statuses=200:N,429:N".

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path = args[1]
  if path == nil then
    error("usage: wrk ... -s serve_load.lua URL -- BODIES_FILE")
  end
  requests = {}
  for line in io.lines(path) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("POST", "/predict", {["Content-Type"] = "application/json"}, line)
    end
  end
  if #requests == 0 then
    error(path .. ": no request bodies")
  end
  next_request = (thread_index or 0) % #requests
  statuses = {}
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests_summary)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if s then
      for status, n in pairs(s) do
        counts[status] = (counts[status] or 0) + n
      end
    end
  end
  local codes, non2xx = {}, 0
  for status, _ in pairs(counts) do
    codes[#codes + 1] = status
  end
  table.sort(codes)
  local parts = {}
  for _, status in ipairs(codes) do
    parts[#parts + 1] = status .. ":" .. counts[status]
    if status < 200 or status > 299 then
      non2xx = non2xx + counts[status]
    end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "serve_load requests=%d duration_s=%.3f rps=%.2f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f " ..
    "non2xx=%d socket_errors=connect:%d,read:%d,write:%d,timeout:%d statuses=%s\n",
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000, non2xx,
    e.connect, e.read, e.write, e.timeout, #parts > 0 and table.concat(parts, ",") or "none"))
end

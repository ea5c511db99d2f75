-- wrk -s bench/rotate.lua URL -- FILE: each request as the next signed-in fan of FILE, whose
-- lines are "path<TAB>Cookie header[<TAB>1 for an htmx request]" (bench/load.py writes it).
-- Each thread starts at its own line, so that the threads do not ask in step.
local lines = {}
local position = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("offset", threads)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, cookie, htmx = line:match("^([^\t]+)\t([^\t]*)\t?(.*)$")
    local headers = { Cookie = cookie }
    if htmx == "1" then headers["HX-Request"] = "true" end
    lines[#lines + 1] = wrk.format("GET", path, headers)
  end
  position = (offset * 7) % #lines
end

function request()
  position = position % #lines + 1
  return lines[position]
end

-- One line for bench/load.py: requests, seconds, errors (sockets, timeouts, non-2xx/3xx),
-- then the p50, p95 and p99 latency in microseconds.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("BENCH %d %.3f %d %d %d %d\n", summary.requests,
    summary.duration / 1e6,
    errors.connect + errors.read + errors.write + errors.timeout + errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end

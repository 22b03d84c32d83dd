-- wrk script shared by the small-file benchmarks.
--   wrk ... -s wrk.lua URL -- put PREFIX      PUT a 4 KiB body to PREFIX<thread>-<n>, never repeating
--   wrk ... -s wrk.lua URL -- get PREFIX N    GET PREFIX0 .. PREFIX<N-1> in a cycle
-- Extra headers (Authorization) come from wrk -H and are used by wrk.format.
-- wrk's own "Non-2xx or 3xx" counter lets 3xx pass, so we count 2xx ourselves
-- and print one machine-readable line from done() for bench.py to parse.

local threads = {}

-- Runs in the main Lua state once per thread: give each thread a distinct id so
-- upload paths never collide across threads.
function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

-- Runs inside each thread.
function init(args)
   mode, prefix, count = args[1], args[2], tonumber(args[3] or "0")
   ok, bad, first_bad, n = 0, 0, 0, 0
   body = string.rep("k", 4096)
   if mode == "get" then
      n = id * 7 -- start threads at different files
   elseif mode ~= "put" then
      error("wrk.lua: mode must be put or get, got " .. tostring(mode))
   end
end

function request()
   n = n + 1
   if mode == "put" then
      return wrk.format("PUT", prefix .. "t" .. id .. "-" .. n, nil, body)
   end
   return wrk.format("GET", prefix .. (n % count))
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      bad = bad + 1
      if first_bad == 0 then first_bad = status end
   end
end

-- Runs in the main state after the test; reads the per-thread counters.
function done(summary, latency, requests)
   local tok, tbad, fbad = 0, 0, 0
   for _, t in ipairs(threads) do
      tok = tok + t:get("ok")
      tbad = tbad + t:get("bad")
      if fbad == 0 then fbad = t:get("first_bad") end
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH ok=%d bad=%d first_bad=%d duration_us=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d\n",
      tok, tbad, fbad, summary.duration, e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(99)))
end

-- wrk script: POST /v1/screen with names taken in turn from a file of JSON
-- request bodies, one per line (BODIES, default docs/bench/names.jsonl).
--   BODIES=names.jsonl wrk -t2 -c16 -d20s -s docs/bench/screen.lua http://127.0.0.1:8080/v1/screen
-- Requests are formatted once at start and there is no response() hook, so
-- the Lua cost per request is an array lookup: the load tool then costs
-- about what it costs for a plain GET, and the comparison with /healthz is
-- about the server.
local path = os.getenv("BODIES") or "docs/bench/names.jsonl"
local requests = {}

function init(args)
  for line in io.lines(path) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, line)
    end
  end
  if #requests == 0 then error("no request bodies in " .. path) end
  i = math.random(#requests)
end

function request()
  i = i % #requests + 1
  return requests[i]
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx/3xx responses: %d\n", summary.errors.status))
end

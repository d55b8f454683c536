-- wrk script: POST /v1/screen with names taken in turn from a file of JSON
-- request bodies, one per line (default docs/bench/names.jsonl, made by
-- docs/bench/http-load.sh from the tuning set).
--   wrk -t2 -c16 -d20s -s docs/bench/screen.lua http://127.0.0.1:8080/v1/screen
local bodies = {}
local path = os.getenv("BODIES") or "docs/bench/names.jsonl"
for line in io.lines(path) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
if #bodies == 0 then error("no request bodies in " .. path) end

local i = 0
function setup(thread)
  thread:set("offset", math.random(#bodies))
end

request = function()
  i = i + 1
  local body = bodies[((offset or 0) + i) % #bodies + 1]
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

local errors = 0
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("non-200 responses: %d\n", summary.errors.status))
end

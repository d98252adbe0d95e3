-- wrk script: POST /v1/evaluate over kept-alive connections, cycling through the intake files
-- given after `--` (as `triage loadgen` cycles through the example intakes).
--   wrk -t2 -c32 -d60s --latency -s bench/http_evaluate.lua http://127.0.0.1:8080 -- rules/examples/*.json
local bodies = {}
local next_body = 0

function init(args)
  for _, path in ipairs(args) do
    local file = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = file:read("*a")
    file:close()
  end
  assert(#bodies > 0, "give the intake files after --")
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/v1/evaluate", {["Content-Type"] = "application/json"}, bodies[next_body])
end

function done(summary, latency, requests)
  io.write(string.format("non-200 replies: %d\n", summary.errors.status))
end

-- wrk script: POST /v1/evaluate over kept-alive connections, cycling through the intake files
-- given after `--` (as `triage loadgen` cycles through the example intakes).
--   wrk -t2 -c32 -d60s --latency -s bench/http_evaluate.lua http://127.0.0.1:8080 -- rules/examples/*.json
-- With a number first, every request is a POST /v1/evaluate-batch of that many intakes (the files
-- round-robin, as `triage loadgen --batch N` sends them):
--   wrk -t2 -c8 -d10s -s bench/http_evaluate.lua http://127.0.0.1:8080 -- 10 rules/examples/*.json
-- At the end it prints the count of non-200 replies and one JSON line (`wrk_json {...}`) with the
-- figures tools/bench_floor.sh tabulates (latencies in ms). wrk calls done() in its main Lua state,
-- where init() never ran, so the batch size is not known there: decisions = requests × batch size
-- is the caller's sum.
local bodies = {}
local next_body = 0
local path = "/v1/evaluate"
local batch = 0

function init(args)
  local files = {}
  for i, arg in ipairs(args) do
    if i == 1 and tonumber(arg) then
      batch = tonumber(arg)
      path = "/v1/evaluate-batch"
    else
      local file = assert(io.open(arg, "rb"))
      files[#files + 1] = file:read("*a")
      file:close()
    end
  end
  assert(#files > 0, "give the intake files after --")
  if batch == 0 then
    bodies = files
  else
    -- As many different batches as files, each starting one file further on.
    for start = 1, #files do
      local items = {}
      for k = 0, batch - 1 do items[#items + 1] = files[(start + k - 1) % #files + 1] end
      bodies[#bodies + 1] = '{"intakes":[' .. table.concat(items, ",") .. "]}"
    end
  end
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, bodies[next_body])
end

function done(summary, latency, requests)
  io.write(string.format("non-200 replies: %d\n", summary.errors.status))
  local seconds = summary.duration / 1e6
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'wrk_json {"requests":%d,"rps":%.1f,"non200":%d,"socket_errors":%d,' ..
    '"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f}}\n',
    summary.requests, summary.requests / seconds, summary.errors.status, failed,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

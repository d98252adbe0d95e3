#pragma once
// A load generator for TriageService: keeps up to `concurrency` Evaluate calls in flight (or paces
// them at `rate` per second), for `duration_seconds`, and reports throughput, latency percentiles
// and errors by status code.
#include <map>
#include <string>
#include <vector>

#include "triage/v1/triage.pb.h"

namespace triage {

struct LoadOptions {
  std::string target = "127.0.0.1:50051";
  int concurrency = 16;
  double duration_seconds = 10;
  double rate = 0;  // calls per second; 0 sends as fast as the concurrency allows
  int timeout_ms = 5000;
  int batch = 0;  // > 0: every call is an EvaluateBatch of this many intakes (round-robin)
};

struct LoadReport {
  long requests = 0;  // completed calls, failed ones included
  long ok = 0;
  long decisions = 0;  // decisions received (one per ok Evaluate; per item in a batch)
  std::map<std::string, long> errors;  // status code name -> count
  double elapsed_seconds = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};

// Runs the load with the given requests (used round-robin).
LoadReport run_load(const LoadOptions& options, const std::vector<v1::EvaluateRequest>& requests);

// The report as one JSON object.
std::string to_json(const LoadOptions& options, const LoadReport& report);

}  // namespace triage

#pragma once
// The standard process metrics (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds),
// read from /proc/self at each scrape, as the Prometheus client libraries name them.
#include "metrics/registry.hpp"

namespace triage::metrics {

// Registers the process families on `registry` (callbacks; nothing runs until a scrape).
void add_process_metrics(Registry& registry);

// What /proc/self says now; fields stay 0 when they cannot be read (not Linux).
struct ProcessState {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // Unix time
  double open_fds = 0;
  double max_fds = 0;
};
ProcessState read_process_state();

}  // namespace triage::metrics

#include "metrics/process.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace triage::metrics {
namespace {

// Seconds since the epoch when the machine booted (/proc/stat `btime`).
double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

ProcessState read_process_state() {
  ProcessState state;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    auto close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(line.substr(close + 2));
      std::vector<std::string> values;
      for (std::string value; fields >> value;) values.push_back(value);
      // values[0] is field 3 (state): field N is values[N - 3].
      if (values.size() > 21 && ticks > 0) {
        state.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks;  // utime, stime
        state.start_time_seconds = boot_time() + std::stod(values[19]) / ticks;     // starttime
        state.virtual_bytes = std::stod(values[20]);                                 // vsize
        state.resident_bytes = std::stod(values[21]) * page;                         // rss
      }
    }
  }
  std::error_code error;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end; it.increment(error)) {
    state.open_fds += 1;
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) state.max_fds = static_cast<double>(limit.rlim_cur);
  return state;
}

void add_process_metrics(Registry& registry) {
  auto one = [](double ProcessState::*field) {
    return [field] { return std::vector<Sample>{{{}, read_process_state().*field}}; };
  };
  registry.callback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Kind::counter,
                    one(&ProcessState::cpu_seconds));
  registry.callback("process_resident_memory_bytes", "Resident memory size in bytes.", Kind::gauge,
                    one(&ProcessState::resident_bytes));
  registry.callback("process_virtual_memory_bytes", "Virtual memory size in bytes.", Kind::gauge,
                    one(&ProcessState::virtual_bytes));
  registry.callback("process_open_fds", "Number of open file descriptors.", Kind::gauge, one(&ProcessState::open_fds));
  registry.callback("process_max_fds", "Maximum number of open file descriptors.", Kind::gauge,
                    one(&ProcessState::max_fds));
  registry.callback("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                    Kind::gauge, one(&ProcessState::start_time_seconds));
}

}  // namespace triage::metrics

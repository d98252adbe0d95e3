#pragma once
// Structured log lines through spdlog: `key=value` text or one JSON object per line. Patient
// answers never go through here; only ids, outcomes, timings and operational facts.
#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <vector>

namespace triage {

struct LogField {
  std::string key;
  std::string value;
  bool number = false;  // printed without quotes in JSON
};

class EventLog {
 public:
  // `json` selects one JSON object per line; otherwise `event key=value …`.
  EventLog(std::shared_ptr<spdlog::logger> logger, bool json);
  void info(const std::string& event, const std::vector<LogField>& fields) const;
  void warn(const std::string& event, const std::vector<LogField>& fields) const;
  void error(const std::string& event, const std::vector<LogField>& fields) const;
  // Writes out buffered lines.
  void flush() const;

 private:
  std::string format(const std::string& event, const std::vector<LogField>& fields) const;
  std::shared_ptr<spdlog::logger> logger_;
  bool json_;
};

// A logger writing to stderr with UTC timestamps.
std::shared_ptr<spdlog::logger> make_stderr_logger(bool json);

}  // namespace triage

#include "serve/event_log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "util/json_text.hpp"

namespace triage {

EventLog::EventLog(std::shared_ptr<spdlog::logger> logger, bool json) : logger_(std::move(logger)), json_(json) {}

std::string EventLog::format(const std::string& event, const std::vector<LogField>& fields) const {
  std::string out;
  if (json_) {
    out = "\"event\":" + json_quote(event);
    for (const auto& field : fields) {
      out += ',' + json_quote(field.key) + ':' + (field.number ? field.value : json_quote(field.value));
    }
    return out;
  }
  out = event;
  for (const auto& field : fields) {
    // Anything but plain id characters is quoted and escaped, so a value (a client's request id,
    // say) can never break a line or imitate a field.
    bool plain = !field.value.empty() &&
                 std::all_of(field.value.begin(), field.value.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_.:/@+-", c) != nullptr;
                 });
    out += ' ' + field.key + '=' + (plain || field.number ? field.value : json_quote(field.value));
  }
  return out;
}

void EventLog::info(const std::string& event, const std::vector<LogField>& fields) const {
  logger_->info(format(event, fields));
}
void EventLog::warn(const std::string& event, const std::vector<LogField>& fields) const {
  logger_->warn(format(event, fields));
}
void EventLog::error(const std::string& event, const std::vector<LogField>& fields) const {
  logger_->error(format(event, fields));
}

std::shared_ptr<spdlog::logger> make_stderr_logger(bool json) {
  auto logger = std::make_shared<spdlog::logger>("triage", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (json) {
    logger->set_pattern("{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",\"level\":\"%l\",%v}", spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace triage

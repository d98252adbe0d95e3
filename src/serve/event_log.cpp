#include "serve/event_log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "util/json_text.hpp"
#include "util/json_writer.hpp"

namespace triage {

namespace {

// A JSON string in which no control byte appears raw (json_quote escapes 0x00-0x1f; DEL (0x7f)
// too) and no byte that is not UTF-8 (each becomes U+FFFD), so every line is valid text and JSON.
std::string quote_control_free(std::string_view text) {
  std::string quoted = json_quote(valid_utf8(text));
  for (std::size_t at = quoted.find('\x7f'); at != std::string::npos; at = quoted.find('\x7f', at)) {
    quoted.replace(at, 1, "\\u007f");
  }
  return quoted;
}

// A value a client chose (a request id, an unknown fact name in an error) can be as long as the
// request: each value is cut at a character boundary so one request cannot flood the log.
constexpr std::size_t max_value_bytes = 2048;

std::string_view capped(const std::string& value, std::string& storage) {
  if (value.size() <= max_value_bytes) return value;
  storage = std::string(cut_utf8(value, max_value_bytes)) + "…[" + std::to_string(value.size()) + " bytes]";
  return storage;
}

}  // namespace

EventLog::EventLog(std::shared_ptr<spdlog::logger> logger, bool json) : logger_(std::move(logger)), json_(json) {}

void EventLog::flush() const { logger_->flush(); }

std::string EventLog::format(const std::string& event, const std::vector<LogField>& fields) const {
  std::string out;
  if (json_) {
    // The members of the object spdlog's pattern wraps around them.
    JsonWriter w(out);
    w.string_field("event", event);
    std::string storage;
    for (const auto& field : fields) {
      if (field.number) w.raw_field(field.key, field.value);
      else w.raw_field(field.key, quote_control_free(capped(field.value, storage)));
    }
    return out;
  }
  out = event;
  std::string storage;
  for (const auto& field : fields) {
    // Anything but plain id characters is quoted and escaped, so a value (a client's request id,
    // say) can never break a line or imitate a field.
    // (Not strchr: it finds a NUL byte as the terminator, and a raw NUL reached the log that way.)
    std::string_view value = capped(field.value, storage);
    bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_.:/@+-").find(c) != std::string_view::npos;
    });
    out += ' ' + field.key + '=' + (plain || field.number ? std::string(value) : quote_control_free(value));
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

namespace {

// Lines collected in memory and written to a file descriptor in one call when 64 KiB have
// gathered or on flush (every second, on warnings, at exit): one write per request line was a
// system call on every decision. What a crash loses is at most a second of text log; decisions
// themselves are in the audit log.
class BufferedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit BufferedFdSink(int fd) : fd_(fd) { buffer_.reserve(buffer_limit); }
  ~BufferedFdSink() override { write_out(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    buffer_.append(formatted.data(), formatted.size());
    if (buffer_.size() >= buffer_limit) write_out();
  }
  void flush_() override { write_out(); }

 private:
  static constexpr std::size_t buffer_limit = 64 * 1024;
  void write_out() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n <= 0) break;  // nowhere to log to: drop rather than block decisions
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }
  int fd_;
  std::string buffer_;
};

}  // namespace

std::shared_ptr<spdlog::logger> make_stderr_logger(bool json) {
  auto logger = std::make_shared<spdlog::logger>("triage", std::make_shared<BufferedFdSink>(2));
  if (json) {
    logger->set_pattern("{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",\"level\":\"%l\",%v}", spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->flush_on(spdlog::level::warn);
  spdlog::drop("triage");
  spdlog::register_logger(logger);  // so flush_every reaches it
  spdlog::flush_every(std::chrono::seconds(1));
  return logger;
}

}  // namespace triage

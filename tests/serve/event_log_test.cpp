// The text and JSON log lines: no byte a client sends (request ids, client ids) reaches the log raw
// when it could break a line, end a string or imitate a field.
#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "serve/event_log.hpp"

namespace triage {
namespace {

// One line through an EventLog writing to a string; the pattern is the message alone.
std::string logged(bool json, const std::string& value) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>("event-log-test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_pattern("%v");
  EventLog log(logger, json);
  log.info("decision", {{"request_id", value}, {"client", "id:kiosk-7"}});
  return out.str();
}

bool has_control_byte(const std::string& line) {
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {  // the last byte is the line's own newline
    auto c = static_cast<unsigned char>(line[i]);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return line.empty() || line.back() != '\n';
}

}  // namespace

TEST_CASE("every control byte in a logged value is escaped, in text and JSON lines", "[serve][log]") {
  for (bool json : {false, true}) {
    for (int c = 0; c < 32; ++c) {
      for (const std::string& value : {std::string(1, static_cast<char>(c)), "a" + std::string(1, static_cast<char>(c)) + "b"}) {
        std::string line = logged(json, value);
        INFO("json " << json << ", byte " << c << ": " << line);
        CHECK_FALSE(has_control_byte(line));
        bool escaped = line.find("\\u00") != std::string::npos || line.find("\\n") != std::string::npos ||
                       line.find("\\t") != std::string::npos || line.find("\\r") != std::string::npos;
        CHECK(escaped);
        CHECK(line.find("client") != std::string::npos);  // nothing after the byte was lost
      }
    }
    std::string del = logged(json, "a\x7f" "b");
    INFO(del);
    CHECK_FALSE(has_control_byte(del));
    CHECK(del.find("\\u007f") != std::string::npos);
  }
}

TEST_CASE("plain id values stay unquoted; anything else is quoted so it cannot imitate a field", "[serve][log]") {
  CHECK(logged(false, "session-42") == "decision request_id=session-42 client=id:kiosk-7\n");
  CHECK(logged(false, "x client=id:admin") == "decision request_id=\"x client=id:admin\" client=id:kiosk-7\n");
  CHECK(logged(false, std::string("a\0b", 3)) == "decision request_id=\"a\\u0000b\" client=id:kiosk-7\n");
  CHECK(logged(true, "a\"b") == "\"event\":\"decision\",\"request_id\":\"a\\\"b\",\"client\":\"id:kiosk-7\"\n");
}

}  // namespace triage

namespace triage {

TEST_CASE("bytes that are not UTF-8 never reach the log raw", "[serve][log]") {
  for (bool json : {false, true}) {
    for (const std::string& value : {std::string("a\xff"), std::string("\xc3"), std::string("x\xed\xa0\x80y")}) {
      std::string line = logged(json, value);
      INFO(line);
      CHECK(line.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD in its place
      for (char c : std::string("\xff\xc3\xed\xa0")) CHECK(line.find(c) == std::string::npos);
    }
  }
}

TEST_CASE("a client's long value is cut at a character boundary, with its length", "[serve][log]") {
  for (bool json : {false, true}) {
    std::string value(5000, 'a');
    value.replace(2047, 2, "\xc3\xa9");  // a two-byte character across the 2048-byte cut
    std::string line = logged(json, value);
    INFO(line.substr(0, 100));
    CHECK(line.size() < 2200);
    CHECK(line.find("…[5000 bytes]") != std::string::npos);
    auto mark = line.find("…[5000 bytes]");
    REQUIRE(mark != std::string::npos);
    CHECK(line[mark - 1] == 'a');  // the two-byte character is cut whole, not in half
    CHECK(line.find("client") != std::string::npos);
  }
}

}  // namespace triage

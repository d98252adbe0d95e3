#include "util/traceparent.hpp"

#include <random>

namespace triage {
namespace {

bool lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

// `digits` random lower-case hex digits, never all zero.
std::string random_hex(std::size_t digits) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(digits, '0');
  do {
    for (std::size_t i = 0; i < digits; i += 16) {
      std::uint64_t bits = engine();
      for (std::size_t j = i; j < digits && j < i + 16; ++j, bits >>= 4) out[j] = hex[bits & 15];
    }
  } while (all_zero(out));
  return out;
}

}  // namespace

TraceContext continue_trace(std::string_view header, std::string_view tracestate) {
  TraceContext context;
  context.span_id = random_hex(16);
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55 characters; a later
  // version may append fields after a dash.
  bool valid = header.size() >= 55 && header[2] == '-' && header[35] == '-' && header[52] == '-' &&
               lower_hex(header.substr(0, 2)) && header.substr(0, 2) != "ff" && lower_hex(header.substr(3, 32)) &&
               !all_zero(header.substr(3, 32)) && lower_hex(header.substr(36, 16)) && !all_zero(header.substr(36, 16)) &&
               lower_hex(header.substr(53, 2)) &&
               (header.size() == 55 || (header.substr(0, 2) != "00" && header[55] == '-'));
  if (valid) {
    context.trace_id = std::string(header.substr(3, 32));
    context.flags = std::string(header.substr(53, 2));
    bool printable = tracestate.size() <= 512;
    for (char c : tracestate) printable = printable && c >= 0x20 && c <= 0x7e;
    if (printable) context.state = std::string(tracestate);
  } else {
    context.trace_id = random_hex(32);
  }
  return context;
}

std::string traceparent(const TraceContext& context) {
  return "00-" + context.trace_id + "-" + context.span_id + "-" + context.flags;
}

}  // namespace triage

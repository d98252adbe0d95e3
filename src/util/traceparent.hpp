#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header
// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. A request keeps its caller's trace id;
// this server is a new span in it (a new parent id for what it returns).
#include <string>
#include <string_view>

namespace triage {

struct TraceContext {
  std::string trace_id;  // 32 lower-case hex digits, not all zero
  std::string span_id;   // 16 lower-case hex digits, not all zero: this server's span
  std::string flags = "00";
  std::string state;  // the caller's `tracestate`, passed on unchanged; empty when none or dropped
};

// The trace context of a request: the caller's trace id (and flags) from `header` when it is a
// valid traceparent (version 00, or a later version read as 00 says), with a new span id; a new
// random trace when the header is empty or invalid. `tracestate` is kept (to be returned
// unchanged) only with a valid traceparent, when it is at most 512 bytes of printable ASCII.
// Thread-safe.
TraceContext continue_trace(std::string_view header, std::string_view tracestate = {});

// The traceparent header value for `context`.
std::string traceparent(const TraceContext& context);

}  // namespace triage

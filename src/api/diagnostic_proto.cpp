#include "api/diagnostic_proto.hpp"

namespace triage {

void to_proto(const Diagnostic& d, v1::RuleDiagnostic& out) {
  out.set_code(d.code);
  out.set_file(d.location.file);
  out.set_line(static_cast<std::uint32_t>(d.location.line));
  out.set_column(static_cast<std::uint32_t>(d.location.column));
  out.set_severity(to_string(d.severity));
  out.set_message(d.message);
  out.set_hint(d.hint);
}

Diagnostic from_proto(const v1::RuleDiagnostic& message) {
  Diagnostic d{message.code()};
  if (!severity_from_string(message.severity(), d.severity)) d.severity = Severity::error;
  d.location = {message.file(), message.line(), message.column()};
  d.message = message.message();
  d.hint = message.hint();
  return d;
}

}  // namespace triage

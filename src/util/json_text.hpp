#pragma once
// Minimal JSON string quoting for the few hand-written JSON outputs (diagnostics, schema).
#include <string>
#include <string_view>

namespace triage {

// Returns `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace triage

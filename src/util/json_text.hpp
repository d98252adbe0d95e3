#pragma once
// Minimal JSON string quoting for the few hand-written JSON outputs (diagnostics, schema).
#include <string>
#include <string_view>

namespace triage {

// Returns `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

// `text` with every byte that is not part of a well-formed UTF-8 sequence (stray continuation
// bytes, cut or overlong sequences, surrogates, code points past U+10FFFF) replaced by U+FFFD, so
// untrusted bytes (a request path) can be quoted into JSON that parsers accept.
std::string valid_utf8(std::string_view text);

}  // namespace triage

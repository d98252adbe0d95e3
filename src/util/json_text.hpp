#pragma once
// Minimal JSON string quoting for the few hand-written JSON outputs (diagnostics, schema).
#include <string>
#include <string_view>

namespace triage {

// Returns `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);
// The same quoted string appended to `out` (no temporary string: the writers' hot path).
void append_json_quoted(std::string& out, std::string_view text);

// `text` with every byte that is not part of a well-formed UTF-8 sequence (stray continuation
// bytes, cut or overlong sequences, surrogates, code points past U+10FFFF) replaced by U+FFFD, so
// untrusted bytes (a request path) can be quoted into JSON that parsers accept.
std::string valid_utf8(std::string_view text);

// True when `text` is well-formed UTF-8 without control characters (U+0000-U+001F, U+007F): what a
// client-chosen label (a request id, a client id) must be before it is stored, logged or shipped.
bool printable_utf8(std::string_view text);

// At most `max_bytes` of `text`, cut at a character boundary (never inside a UTF-8 sequence).
std::string_view cut_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace triage

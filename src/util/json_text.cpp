#include "util/json_text.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace triage {

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_json_quoted(out, text);
  return out;
}

namespace {

// True when one of the 8 bytes of `word` needs an escape: below 0x20, '"' or '\\' (the exact
// "has a byte less than n" and "has a zero byte" word tests: no false answer either way).
bool escape_in_word(std::uint64_t word) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
  std::uint64_t quote = word ^ (ones * '"');
  std::uint64_t backslash = word ^ (ones * '\\');
  std::uint64_t below_space = (word - ones * 0x20) & ~word;
  std::uint64_t is_quote = (quote - ones) & ~quote;
  std::uint64_t is_backslash = (backslash - ones) & ~backslash;
  return ((below_space | is_quote | is_backslash) & high) != 0;
}

}  // namespace

void append_json_quoted(std::string& out, std::string_view text) {
  out += '"';
  // Copy runs of characters that need no escape in one go, skipping 8 plain bytes at a time: the
  // replies' texts (instructions, reasons) are most of an HTTP decision's bytes.
  std::size_t run = 0;
  const std::size_t size = text.size();
  for (std::size_t i = 0; i < size;) {
    if (i + 8 <= size) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (!escape_in_word(word)) {
        i += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(text.data() + run, i - run);
    run = ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        out += buffer;
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                                                          : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    bool ok = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
      unsigned char low = 0x80, high = 0xBF;
      if (k == 1 && c == 0xE0) low = 0xA0;
      if (k == 1 && c == 0xED) high = 0x9F;
      if (k == 1 && c == 0xF0) low = 0x90;
      if (k == 1 && c == 0xF4) high = 0x8F;
      ok = next >= low && next <= high;
    }
    if (ok) {
      out.append(text.data() + i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  return out;
}

bool printable_utf8(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return valid_utf8(text) == text;
}

std::string_view cut_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

}  // namespace triage

#include "util/json_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>

namespace triage {
namespace {

// Which keys an object already has, once it is too big for a scan: an open-addressed table of
// member indices (the keys are not copied; one allocation per growth, not one per key), so an
// object with very many keys costs linear time.
class KeyIndex {
 public:
  // True when `key` is already among `members`; else records it as member `members.size()`, which
  // the caller appends next. The first call indexes the members so far.
  bool seen(const std::vector<JsonMember>& members, const std::string& key) {
    if ((members.size() + 1) * 2 > slots_.size()) rebuild(members, std::max<std::size_t>(64, slots_.size() * 2));
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = hash(key) & mask;
    for (; slots_[at] != empty; at = (at + 1) & mask) {
      if (members[slots_[at]].first == key) return true;
    }
    slots_[at] = static_cast<std::uint32_t>(members.size());
    return false;
  }

 private:
  static constexpr std::uint32_t empty = UINT32_MAX;
  static std::size_t hash(const std::string& key) { return std::hash<std::string_view>{}(key); }
  // A table of `size` slots (a power of two) holding every member so far.
  void rebuild(const std::vector<JsonMember>& members, std::size_t size) {
    slots_.assign(size, empty);
    const std::size_t mask = size - 1;
    for (std::uint32_t i = 0; i < members.size(); ++i) {
      std::size_t at = hash(members[i].first) & mask;
      while (slots_[at] != empty) at = (at + 1) & mask;
      slots_[at] = i;
    }
  }
  std::vector<std::uint32_t> slots_;
};

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool document(JsonValue& out, std::string& error) {
    if (!value(out, 0)) {
      error = error_ + " at byte " + std::to_string(pos_ + 1);
      return false;
    }
    skip();
    if (pos_ != text_.size()) {
      error = "unexpected text after the JSON value at byte " + std::to_string(pos_ + 1);
      return false;
    }
    return true;
  }

 private:
  void skip() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool fail(const char* message) {
    error_ = message;
    return false;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("unexpected character");
    pos_ += word.size();
    return true;
  }

  bool value(JsonValue& out, int depth) {
    if (depth > 64) return fail("nested too deeply");
    skip();
    if (pos_ >= text_.size()) return fail("unexpected end of input");
    char c = text_[pos_];
    switch (c) {
      case '{': return object(out, depth);
      case '[': return array(out, depth);
      case '"': out.kind = JsonValue::Kind::string; return string(out.string);
      case 't': out.kind = JsonValue::Kind::boolean; out.boolean = true; return literal("true");
      case 'f': out.kind = JsonValue::Kind::boolean; out.boolean = false; return literal("false");
      case 'n': out.kind = JsonValue::Kind::null; return literal("null");
      default: return number(out);
    }
  }

  bool number(JsonValue& out) {
    std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    auto digits = [&] {
      std::size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ > from;
    };
    if (pos_ + 1 < text_.size() && text_[pos_] == '0' && text_[pos_ + 1] >= '0' && text_[pos_ + 1] <= '9') {
      ++pos_;
      return fail("a number cannot start with 0");
    }
    if (!digits()) return fail("expected a value");
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) return fail("expected digits after the decimal point");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) return fail("expected digits in the exponent");
    }
    out.kind = JsonValue::Kind::number;
    out.number_text = std::string(text_.substr(start, pos_ - start));
    out.number = std::strtod(out.number_text.c_str(), nullptr);
    return true;
  }

  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool hex4(unsigned& code) {
    if (pos_ + 4 > text_.size()) return fail("short \\u escape");
    code = 0;
    for (int i = 0; i < 4; ++i) {
      char h = text_[pos_++];
      code <<= 4;
      if (h >= '0' && h <= '9') code |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f') code |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') code |= static_cast<unsigned>(h - 'A' + 10);
      else return fail("bad \\u escape");
    }
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // the opening quote
    out.clear();
    for (;;) {
      std::size_t run = pos_;
      while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\\' &&
             static_cast<unsigned char>(text_[pos_]) >= 0x20) {
        ++pos_;
      }
      out.append(text_.data() + run, pos_ - run);
      if (pos_ >= text_.size()) return fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return true;
      if (c != '\\') return fail("control character in a string");
      if (pos_ >= text_.size()) return fail("unterminated string");
      char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned code;
          if (!hex4(code)) return false;
          if (code >= 0xDC00 && code <= 0xDFFF) return fail("lone low surrogate in a \\u escape");
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") return fail("high surrogate without its low half");
            pos_ += 2;
            unsigned low;
            if (!hex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail("high surrogate without its low half");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, code);
          break;
        }
        default: return fail("bad escape in a string");
      }
    }
  }

  bool array(JsonValue& out, int depth) {
    ++pos_;
    out.kind = JsonValue::Kind::array;
    skip();
    if (pos_ < text_.size() && text_[pos_] == ']') return ++pos_, true;
    for (;;) {
      out.array.emplace_back();
      if (!value(out.array.back(), depth + 1)) return false;
      skip();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') return ++pos_, true;
      return fail("expected `,` or `]`");
    }
  }

  bool object(JsonValue& out, int depth) {
    static constexpr std::size_t small_object = 16;
    KeyIndex keys;  // used once the object has small_object keys
    ++pos_;
    out.kind = JsonValue::Kind::object;
    skip();
    if (pos_ < text_.size() && text_[pos_] == '}') return ++pos_, true;
    for (;;) {
      skip();
      if (pos_ >= text_.size() || text_[pos_] != '"') return fail("expected a key in double quotes");
      std::string key;
      if (!string(key)) return false;
      // Duplicate keys: a scan while the object is small, a hash index once it grows, so an object
      // with very many keys costs linear time, not quadratic.
      if (out.object.size() < small_object) {
        for (const auto& member : out.object) {
          if (member.first == key) return fail("duplicate key");
        }
      } else if (keys.seen(out.object, key)) {
        return fail("duplicate key");
      }
      skip();
      if (pos_ >= text_.size() || text_[pos_] != ':') return fail("expected `:`");
      ++pos_;
      out.object.push_back(JsonMember{std::move(key), JsonValue{}});
      if (!value(out.object.back().second, depth + 1)) return false;
      skip();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') return ++pos_, true;
      return fail("expected `,` or `}`");
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

bool read_json(std::string_view text, JsonValue& out, std::string& error) {
  out = JsonValue{};
  return Reader(text).document(out, error);
}

const JsonValue* json_member(const JsonValue& object, std::string_view name, JsonValue::Kind kind) {
  if (object.kind != JsonValue::Kind::object) return nullptr;
  for (const auto& [key, value] : object.object) {
    if (key == name) return value.kind == kind ? &value : nullptr;
  }
  return nullptr;
}

bool json_string(const JsonValue& object, std::string_view name, std::string& out) {
  const JsonValue* value = json_member(object, name, JsonValue::Kind::string);
  if (value) out = value->string;
  return value != nullptr;
}

bool json_whole(const JsonValue& object, std::string_view name, long long& out) {
  const JsonValue* value = json_member(object, name, JsonValue::Kind::number);
  if (!value || value->number < 0 || value->number > 9e15 || value->number != static_cast<long long>(value->number)) {
    return false;
  }
  out = static_cast<long long>(value->number);
  return true;
}

}  // namespace triage

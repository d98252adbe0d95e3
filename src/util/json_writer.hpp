#pragma once
// The one small JSON writer for the documents written by hand (decisions, decision records,
// diagnostics, findings and their witnesses, reports, HTTP error bodies, log lines): members are
// added in order, commas and quoting are its business. Lists are anything with begin()/end()
// (std::vector, protobuf repeated fields).
#include <cstdint>
#include <string>
#include <string_view>

#include "util/json_text.hpp"

namespace triage {

// compact: `{"a":1,"b":[2,3]}` (what machines read); spaced: `{"a": 1, "b": [2, 3]}` (for people,
// such as the witness intakes a clinician pastes into `triage eval`).
enum class JsonStyle { compact, spaced };

// Writes the items of one JSON array into `out`; the caller writes the brackets (or uses
// JsonWriter::array_field). `out` must outlive the writer.
class JsonArrayWriter {
 public:
  explicit JsonArrayWriter(std::string& out, JsonStyle style = JsonStyle::compact) : out_(out), style_(style) {}

  // Starts an item; the caller appends the value's JSON.
  std::string& item() {
    if (!first_) out_ += style_ == JsonStyle::spaced ? ", " : ",";
    first_ = false;
    return out_;
  }
  void string(std::string_view value) { append_json_quoted(item(), value); }

 private:
  std::string& out_;
  JsonStyle style_;
  bool first_ = true;
};

// Writes the members of one JSON object into `out`; the caller writes the braces (or uses
// json_object). Not thread-safe; `out` must outlive the writer.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out, JsonStyle style = JsonStyle::compact) : out_(out), style_(style) {}

  // Starts a member: `"name":`; the caller appends the value's JSON.
  std::string& key(std::string_view name) {
    const bool spaced = style_ == JsonStyle::spaced;
    if (!first_) out_ += spaced ? ", " : ",";
    first_ = false;
    bool plain = true;  // field names and identifiers need no escaping: skip the quoting work
    for (char c : name) plain = plain && c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
    if (plain) {
      out_ += '"';
      out_ += name;
      out_ += '"';
    } else {
      append_json_quoted(out_, name);
    }
    out_ += spaced ? ": " : ":";
    return out_;
  }
  void string_field(std::string_view name, std::string_view value) { append_json_quoted(key(name), value); }
  void number_field(std::string_view name, std::int64_t value) { key(name) += std::to_string(value); }
  void bool_field(std::string_view name, bool value) { key(name) += value ? "true" : "false"; }
  // A value that is already JSON.
  void raw_field(std::string_view name, std::string_view json) { key(name) += json; }
  template <typename List>
  void strings_field(std::string_view name, const List& values) {
    array_field(name, [&](JsonArrayWriter& a) {
      for (const auto& value : values) a.string(value);
    });
  }
  // An array whose items `write(JsonArrayWriter&)` adds.
  template <typename Write>
  void array_field(std::string_view name, Write write) {
    nested<JsonArrayWriter>(name, '[', ']', write);
  }
  // A nested object; `write(JsonWriter&)` writes its members.
  template <typename Write>
  void object_field(std::string_view name, Write write) {
    nested<JsonWriter>(name, '{', '}', write);
  }
  // A list of objects; `write(JsonWriter&, item)` writes each one's members.
  template <typename List, typename Write>
  void objects_field(std::string_view name, const List& values, Write write) {
    key(name);
    append_objects(out_, values, write, style_);
  }

  // Appends `[{…},{…}]` to `out`, one object per item.
  template <typename List, typename Write>
  static void append_objects(std::string& out, const List& values, Write write, JsonStyle style = JsonStyle::compact) {
    out += '[';
    JsonArrayWriter items(out, style);
    for (const auto& value : values) {
      items.item() += '{';
      JsonWriter inner(out, style);
      write(inner, value);
      out += '}';
    }
    out += ']';
  }

 private:
  template <typename Inner, typename Write>
  void nested(std::string_view name, char open, char close, Write& write) {
    key(name) += open;
    Inner inner(out_, style_);
    write(inner);
    out_ += close;
  }

  std::string& out_;
  JsonStyle style_;
  bool first_ = true;
};

// One JSON object whose members `write(JsonWriter&)` adds.
template <typename Write>
std::string json_object(Write write, JsonStyle style = JsonStyle::compact) {
  std::string out = "{";
  JsonWriter writer(out, style);
  write(writer);
  out += '}';
  return out;
}

// A JSON array of objects, one per item of `values`.
template <typename List, typename Write>
std::string json_objects(const List& values, Write write) {
  std::string out;
  JsonWriter::append_objects(out, values, write);
  return out;
}

}  // namespace triage

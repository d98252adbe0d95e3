#pragma once
// The one small JSON writer for the documents written by hand (decisions, diagnostics, findings,
// reports, log lines): members are added in order, commas and quoting are its business. Lists are
// anything with begin()/end() (std::vector, protobuf repeated fields).
#include <cstdint>
#include <string>
#include <string_view>

#include "util/json_text.hpp"

namespace triage {

// Writes the members of one JSON object into `out`; the caller writes the braces (or uses
// json_object). Not thread-safe; `out` must outlive the writer.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  // Starts a member: `"name":`; the caller appends the value's JSON.
  std::string& key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    bool plain = true;  // field names and identifiers need no escaping: skip the quoting work
    for (char c : name) plain = plain && c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
    if (plain) {
      out_ += '"';
      out_ += name;
      out_ += '"';
    } else {
      out_ += json_quote(name);
    }
    out_ += ':';
    return out_;
  }
  void string_field(std::string_view name, std::string_view value) { key(name) += json_quote(value); }
  void number_field(std::string_view name, std::int64_t value) { key(name) += std::to_string(value); }
  void bool_field(std::string_view name, bool value) { key(name) += value ? "true" : "false"; }
  // A value that is already JSON.
  void raw_field(std::string_view name, std::string_view json) { key(name) += json; }
  template <typename List>
  void strings_field(std::string_view name, const List& values) {
    key(name) += '[';
    bool first = true;
    for (const auto& value : values) {
      if (!first) out_ += ',';
      first = false;
      out_ += json_quote(value);
    }
    out_ += ']';
  }
  // A nested object; `write(JsonWriter&)` writes its members.
  template <typename Write>
  void object_field(std::string_view name, Write write) {
    key(name) += '{';
    JsonWriter inner(out_);
    write(inner);
    out_ += '}';
  }
  // A list of objects; `write(JsonWriter&, item)` writes each one's members.
  template <typename List, typename Write>
  void objects_field(std::string_view name, const List& values, Write write) {
    key(name);
    append_objects(out_, values, write);
  }

  // Appends `[{…},{…}]` to `out`, one object per item.
  template <typename List, typename Write>
  static void append_objects(std::string& out, const List& values, Write write) {
    out += '[';
    bool first = true;
    for (const auto& value : values) {
      if (!first) out += ',';
      first = false;
      out += '{';
      JsonWriter inner(out);
      write(inner, value);
      out += '}';
    }
    out += ']';
  }

 private:
  std::string& out_;
  bool first_ = true;
};

// One JSON object whose members `write(JsonWriter&)` adds.
template <typename Write>
std::string json_object(Write write) {
  std::string out = "{";
  JsonWriter writer(out);
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

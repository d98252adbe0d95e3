#pragma once
// A small, strict JSON reader (RFC 8259) for intakes: objects keep their keys in order, numbers
// are doubles. Intakes are read on every replayed decision, where protobuf's generic JSON parser
// was most of the cost.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace triage {

struct JsonMember;

struct JsonValue {
  enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string number_text;  // number: as written ("4", "4.0", "4e0"), so whole-number answers can be strict
  std::string string;
  std::vector<JsonValue> array;
  std::vector<JsonMember> object;  // in document order; keys are unique
};

// One key and its value. (Not a std::pair: a pair of the still incomplete JsonValue is rejected by
// clang's standard library checks; a vector of an incomplete struct is allowed.)
struct JsonMember {
  std::string first;
  JsonValue second;
};

// Parses `text`; false with `error` (what and where) when it is not one JSON value.
bool read_json(std::string_view text, JsonValue& out, std::string& error);

// The member `name` of an object when it is of `kind`; nullptr when `object` is no object, has no
// such member, or it is of another kind.
const JsonValue* json_member(const JsonValue& object, std::string_view name, JsonValue::Kind kind);

// The string member `name` into `out`; false when there is none.
bool json_string(const JsonValue& object, std::string_view name, std::string& out);

// The member `name` when it is a whole number from 0 to 9e15, into `out`; false otherwise.
bool json_whole(const JsonValue& object, std::string_view name, long long& out);

}  // namespace triage

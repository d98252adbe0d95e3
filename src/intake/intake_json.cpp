// JSON intake files: {"answers": {"fact": value, ...}}.
#include <algorithm>

#include "intake/intake.hpp"
#include "util/json_reader.hpp"

namespace triage {

bool parse_intake_json(const std::string& text, std::vector<RawAnswer>& raw, std::string& error,
                       std::string* request_id) {
  JsonValue document;
  if (!read_json(text, document, error)) {
    error = "the intake is not valid JSON: " + error;
    return false;
  }
  return intake_from_json(document, raw, error, request_id);
}

bool intake_from_json(const JsonValue& document, std::vector<RawAnswer>& raw, std::string& error,
                      std::string* request_id) {
  const JsonValue* answers = nullptr;
  if (document.kind == JsonValue::Kind::object) {
    for (const auto& [key, value] : document.object) {
      if (key == "answers") answers = &value;
    }
  }
  if (answers == nullptr || answers->kind != JsonValue::Kind::object) {
    error = "the intake must be a JSON object with an \"answers\" object, like {\"answers\": {\"night_pain\": false}}";
    return false;
  }
  for (const auto& [key, value] : document.object) {
    if (request_id != nullptr && key == "request_id") {
      if (value.kind != JsonValue::Kind::string) {
        error = "\"request_id\" must be a string";
        return false;
      }
      *request_id = value.string;
      continue;
    }
    if (key != "answers") {
      error = "unexpected key \"" + key + "\" in the intake; only \"answers\" is allowed";
      return false;
    }
  }
  std::vector<const JsonMember*> entries;
  for (const auto& entry : answers->object) entries.push_back(&entry);
  // Sorted by fact id so errors come in a stable order whatever the key order.
  std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* entry : entries) {
    const std::string& fact = entry->first;
    const JsonValue& value = entry->second;
    RawAnswer answer;
    answer.fact = fact;
    switch (value.kind) {
      case JsonValue::Kind::boolean:
        answer.kind = RawAnswer::Kind::boolean;
        answer.boolean = value.boolean;
        break;
      case JsonValue::Kind::number:
        answer.kind = RawAnswer::Kind::number;
        answer.number = value.number;
        answer.number_text = value.number_text;
        break;
      case JsonValue::Kind::string:
        answer.kind = RawAnswer::Kind::text;
        answer.text = value.string;
        break;
      case JsonValue::Kind::array:
        answer.kind = RawAnswer::Kind::list;
        for (const auto& item : value.array) {
          if (item.kind != JsonValue::Kind::string) {
            error = "`" + fact + "` must be a list of strings";
            return false;
          }
          answer.list.push_back(item.string);
        }
        break;
      default:
        error = "`" + fact + "` has no usable value (null or an object); answer with true/false, a number, a "
                "string or a list of strings, or leave it out";
        return false;
    }
    raw.push_back(std::move(answer));
  }
  return true;
}

}  // namespace triage

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
  return intake_from_json(std::move(document), raw, error, request_id);
}

bool intake_from_json(JsonValue&& document, std::vector<RawAnswer>& raw, std::string& error,
                      std::string* request_id) {
  JsonValue* answers = nullptr;
  if (document.kind == JsonValue::Kind::object) {
    for (auto& member : document.object) {
      if (member.first == "answers") answers = &member.second;
    }
  }
  if (answers == nullptr || answers->kind != JsonValue::Kind::object) {
    error = "the intake must be a JSON object with an \"answers\" object, like {\"answers\": {\"night_pain\": false}}";
    return false;
  }
  for (auto& [key, value] : document.object) {
    if (request_id != nullptr && key == "request_id") {
      if (value.kind != JsonValue::Kind::string) {
        error = "\"request_id\" must be a string";
        return false;
      }
      *request_id = std::move(value.string);
      continue;
    }
    if (key != "answers") {
      error = "unexpected key \"" + key + "\" in the intake; only \"answers\" is allowed";
      return false;
    }
  }
  std::vector<JsonMember*> entries;
  entries.reserve(answers->object.size());
  for (auto& entry : answers->object) entries.push_back(&entry);
  // Sorted by fact id so errors come in a stable order whatever the key order.
  std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  raw.reserve(raw.size() + entries.size());
  // The document is consumed: its strings are moved into the answers, not copied.
  for (auto* entry : entries) {
    const std::string& fact = entry->first;
    JsonValue& value = entry->second;
    RawAnswer answer;
    switch (value.kind) {
      case JsonValue::Kind::boolean:
        answer.kind = RawAnswer::Kind::boolean;
        answer.boolean = value.boolean;
        break;
      case JsonValue::Kind::number:
        answer.kind = RawAnswer::Kind::number;
        answer.number = value.number;
        answer.number_text = std::move(value.number_text);
        break;
      case JsonValue::Kind::string:
        answer.kind = RawAnswer::Kind::text;
        answer.text = std::move(value.string);
        break;
      case JsonValue::Kind::array:
        answer.kind = RawAnswer::Kind::list;
        answer.list.reserve(value.array.size());
        for (auto& item : value.array) {
          if (item.kind != JsonValue::Kind::string) {
            error = "`" + fact + "` must be a list of strings";
            return false;
          }
          answer.list.push_back(std::move(item.string));
        }
        break;
      default:
        error = "`" + fact + "` has no usable value (null or an object); answer with true/false, a number, a "
                "string or a list of strings, or leave it out";
        return false;
    }
    answer.fact = std::move(entry->first);
    raw.push_back(std::move(answer));
  }
  return true;
}

}  // namespace triage

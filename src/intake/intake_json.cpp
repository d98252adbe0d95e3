// JSON intake files, read with protobuf's JSON parser into a google.protobuf.Struct.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "intake/intake.hpp"

namespace triage {

bool parse_intake_json(const std::string& text, std::vector<RawAnswer>& raw, std::string& error) {
  google::protobuf::Struct document;
  auto status = google::protobuf::util::JsonStringToMessage(text, &document);
  if (!status.ok()) {
    error = "the intake is not valid JSON: " + std::string(status.message());
    return false;
  }
  auto answers = document.fields().find("answers");
  if (answers == document.fields().end() || !answers->second.has_struct_value()) {
    error = "the intake must be a JSON object with an \"answers\" object, like {\"answers\": {\"night_pain\": false}}";
    return false;
  }
  for (const auto& field : document.fields()) {
    if (field.first != "answers") {
      error = "unexpected key \"" + field.first + "\" in the intake; only \"answers\" is allowed";
      return false;
    }
  }
  // Struct fields are a map; sort by fact id so errors come in a stable order.
  std::vector<std::pair<std::string, const google::protobuf::Value*>> entries;
  for (const auto& [fact, value] : answers->second.struct_value().fields()) entries.emplace_back(fact, &value);
  std::sort(entries.begin(), entries.end());
  for (const auto& [fact, value] : entries) {
    RawAnswer answer;
    answer.fact = fact;
    switch (value->kind_case()) {
      case google::protobuf::Value::kBoolValue:
        answer.kind = RawAnswer::Kind::boolean;
        answer.boolean = value->bool_value();
        break;
      case google::protobuf::Value::kNumberValue:
        answer.kind = RawAnswer::Kind::number;
        answer.number = value->number_value();
        break;
      case google::protobuf::Value::kStringValue:
        answer.kind = RawAnswer::Kind::text;
        answer.text = value->string_value();
        break;
      case google::protobuf::Value::kListValue:
        answer.kind = RawAnswer::Kind::list;
        for (const auto& item : value->list_value().values()) {
          if (!item.has_string_value()) {
            error = "`" + fact + "` must be a list of strings";
            return false;
          }
          answer.list.push_back(item.string_value());
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

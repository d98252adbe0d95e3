#include "api/answers_proto.hpp"

#include <algorithm>
#include <cmath>

#include "util/json_writer.hpp"

namespace triage {

std::vector<RawAnswer> raw_answers(const v1::EvaluateRequest& request, std::vector<IntakeError>& errors) {
  std::vector<RawAnswer> raw;
  raw.reserve(request.answers_size());
  for (const auto& [fact, value] : request.answers()) {
    RawAnswer answer;
    answer.fact = fact;
    switch (value.kind_case()) {
      case v1::AnswerValue::kBoolValue:
        answer.kind = RawAnswer::Kind::boolean;
        answer.boolean = value.bool_value();
        break;
      case v1::AnswerValue::kIntValue:
        answer.kind = RawAnswer::Kind::number;
        answer.number = static_cast<double>(value.int_value());
        break;
      case v1::AnswerValue::kEnumValue:
        answer.kind = RawAnswer::Kind::text;
        answer.text = value.enum_value();
        break;
      case v1::AnswerValue::kSetValue:
        answer.kind = RawAnswer::Kind::list;
        answer.list.assign(value.set_value().values().begin(), value.set_value().values().end());
        break;
      case v1::AnswerValue::KIND_NOT_SET:
        errors.push_back({fact, "`" + fact + "` has no value; set bool_value, int_value, enum_value or set_value"});
        continue;
    }
    raw.push_back(std::move(answer));
  }
  // Map order is unspecified; sort so errors and logs are deterministic.
  std::sort(raw.begin(), raw.end(), [](const RawAnswer& a, const RawAnswer& b) { return a.fact < b.fact; });
  std::sort(errors.begin(), errors.end(), [](const IntakeError& a, const IntakeError& b) { return a.fact < b.fact; });
  return raw;
}

bool to_request(const std::vector<RawAnswer>& raw, v1::EvaluateRequest& request, std::string& error) {
  for (const auto& answer : raw) {
    v1::AnswerValue value;
    switch (answer.kind) {
      case RawAnswer::Kind::boolean: value.set_bool_value(answer.boolean); break;
      case RawAnswer::Kind::number: {
        double integral;
        if (std::modf(answer.number, &integral) != 0.0 || std::fabs(answer.number) > 9.0e15) {
          error = "`" + answer.fact + "` must be a whole number";
          return false;
        }
        value.set_int_value(static_cast<std::int64_t>(answer.number));
        break;
      }
      case RawAnswer::Kind::text: value.set_enum_value(answer.text); break;
      case RawAnswer::Kind::list:
        for (const auto& item : answer.list) value.mutable_set_value()->add_values(item);
        value.mutable_set_value();  // an empty list is still an answer
        break;
    }
    (*request.mutable_answers())[answer.fact] = value;
  }
  return true;
}

std::string canonical_answers_json(std::vector<RawAnswer> raw) {
  std::sort(raw.begin(), raw.end(), [](const RawAnswer& a, const RawAnswer& b) { return a.fact < b.fact; });
  return json_object([&](JsonWriter& w) {
    for (const RawAnswer& answer : raw) {
      switch (answer.kind) {
        case RawAnswer::Kind::boolean: w.bool_field(answer.fact, answer.boolean); break;
        case RawAnswer::Kind::number: {
          char buffer[32];
          std::snprintf(buffer, sizeof buffer, "%.17g", answer.number);
          w.raw_field(answer.fact, buffer);
          break;
        }
        case RawAnswer::Kind::text: w.string_field(answer.fact, answer.text); break;
        case RawAnswer::Kind::list: w.strings_field(answer.fact, answer.list); break;
      }
    }
  });
}

}  // namespace triage

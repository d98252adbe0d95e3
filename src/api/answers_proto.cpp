#include "api/answers_proto.hpp"

#include <algorithm>
#include <cmath>

#include "util/json_writer.hpp"

namespace triage {

std::vector<RawAnswer> raw_answers(const v1::EvaluateRequest& request, std::vector<IntakeError>& errors) {
  // Map order is unspecified: the entries are put in fact order first (pointers sorted, not
  // answers moved about), so errors and logs are deterministic and the audit record's canonical
  // JSON finds them sorted already.
  using Entry = google::protobuf::Map<std::string, v1::AnswerValue>::value_type;
  std::vector<const Entry*> entries;
  entries.reserve(static_cast<std::size_t>(request.answers_size()));
  for (const auto& entry : request.answers()) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) { return a->first < b->first; });
  std::vector<RawAnswer> raw;
  raw.reserve(entries.size());
  for (const Entry* entry : entries) {
    const std::string& fact = entry->first;
    const v1::AnswerValue& value = entry->second;
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
  // Usually sorted already (raw_answers sorts); otherwise pointers are sorted, not the answers.
  auto by_fact = [](const RawAnswer* a, const RawAnswer* b) { return a->fact < b->fact; };
  std::vector<const RawAnswer*> order;
  order.reserve(raw.size());
  for (const RawAnswer& answer : raw) order.push_back(&answer);
  if (!std::is_sorted(order.begin(), order.end(), by_fact)) std::stable_sort(order.begin(), order.end(), by_fact);
  std::string out;
  out.reserve(64 + 48 * raw.size());
  out += '{';
  JsonWriter w(out);
  for (const RawAnswer* pointer : order) {
    const RawAnswer& answer = *pointer;
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
  out += '}';
  return out;
}

}  // namespace triage

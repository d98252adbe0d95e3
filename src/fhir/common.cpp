#include "fhir/common.hpp"

#include "api/decision_proto.hpp"
#include "util/utc_time.hpp"

namespace triage::fhir {

Json operation_outcome(const std::vector<Issue>& issues) {
  Json outcome = {{"resourceType", "OperationOutcome"}};
  Json list = Json::array();
  for (const auto& issue : issues) {
    Json entry = {{"severity", issue.severity}, {"code", issue.code}, {"diagnostics", issue.message}};
    if (!issue.expression.empty()) entry["expression"] = Json::array({issue.expression});
    list.push_back(std::move(entry));
  }
  if (list.empty()) list.push_back({{"severity", "information"}, {"code", "informational"}, {"diagnostics", "ok"}});
  outcome["issue"] = std::move(list);
  return outcome;
}

std::string string_member(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

std::string fhir_time(std::int64_t micros) { return utc_time(micros); }

std::string fhir_time(std::int64_t seconds, std::int32_t nanos) { return utc_time(seconds * 1000000 + nanos / 1000); }

std::string new_uuid() { return new_decision_id(); }

}  // namespace triage::fhir

#include "api/decision_record.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "util/json_text.hpp"

namespace triage {
namespace {

void list_begin(std::string& out, const char* key) {
  out += '"';
  out += key;
  out += "\":[";
}

void item(std::string& out, bool& first, const std::string& id) {
  if (!first) out += ',';
  first = false;
  out += json_quote(id);
}

const char* reason_id(ExclusionReason::Kind kind) {
  switch (kind) {
    case ExclusionReason::Kind::missing_equipment: return "plan:equipment";
    case ExclusionReason::Kind::not_targeted: return "plan:targets";
    case ExclusionReason::Kind::phase_limit: return "plan:max_per_phase";
    case ExclusionReason::Kind::total_limit: return "plan:max_total";
    case ExclusionReason::Kind::requirement: return "plan:require";
    case ExclusionReason::Kind::rule: return "";
  }
  return "";
}

}  // namespace

std::string decision_record_json(const CompiledRuleset& ruleset, const Evaluation& e) {
  const model::Ruleset& model = *ruleset.model;
  const auto& plan = model.plan;
  std::string out;
  out.reserve(1024);
  out += "{\"outcome\":";
  out += e.outcome == Outcome::refer ? "\"refer\"" : e.outcome == Outcome::self_care ? "\"self_care\"" : "\"incomplete\"";
  if (e.urgency != model::Tier::none) out += std::string(",\"urgency\":\"") + model::to_string(e.urgency) + '"';
  out += ',';
  list_begin(out, "red_flags");
  bool first = true;
  for (int flag : e.red_flags) item(out, first, model.red_flags[flag].id);
  out += "],";
  list_begin(out, "missing");
  first = true;
  for (int fact : e.missing) item(out, first, model.facts[fact].id);
  out += "],\"plan\":[";
  for (std::size_t i = 0; i < e.plan.size(); ++i) {
    const auto& entry = e.plan[i];
    const auto& technique = model.techniques[entry.technique];
    out += (i > 0 ? ",{\"technique\":" : "{\"technique\":") + json_quote(technique.id) + ',';
    list_begin(out, "why");
    first = true;
    for (int rule : entry.include_rules) item(out, first, model.rules[rule].id);
    if (entry.include_rules.empty() && plan.targeted[technique.phase]) item(out, first, "plan:targets");
    else if (entry.include_rules.empty() && technique.benefit.empty()) item(out, first, "plan:phases");
    if (!technique.benefit.empty()) item(out, first, "technique:" + technique.id);
    out += "],";
    list_begin(out, "cautions");
    first = true;
    for (std::size_t c = 0; c < technique.cautions.size(); ++c) item(out, first, "technique:" + technique.id);
    for (int rule : entry.caution_rules) item(out, first, model.rules[rule].id);
    out += "]}";
  }
  out += "],\"excluded\":[";
  for (std::size_t i = 0; i < e.excluded.size(); ++i) {
    const auto& exclusion = e.excluded[i];
    out += (i > 0 ? ",{\"technique\":" : "{\"technique\":") + json_quote(model.techniques[exclusion.technique].id) + ',';
    list_begin(out, "reasons");
    first = true;
    for (std::uint32_t k = exclusion.first; k < exclusion.first + exclusion.count; ++k) {
      const auto& reason = e.exclusion_reasons[k];
      item(out, first, reason.kind == ExclusionReason::Kind::rule ? model.rules[reason.rule].id : reason_id(reason.kind));
    }
    out += "]}";
  }
  out += "],";
  list_begin(out, "cautions");
  first = true;
  for (int rule : e.cautions) item(out, first, model.rules[rule].id);
  out += ']';
  // Version 2: written only when not empty, so records of version 1 decisions keep their bytes.
  if (!e.refine.empty()) {
    out += ',';
    list_begin(out, "refine");
    first = true;
    for (int fact : e.refine) item(out, first, model.facts[fact].id);
    out += ']';
  }
  out += '}';
  return out;
}

OutcomeLabel outcome_label(const std::string& decision_json) {
  google::protobuf::Value value;
  if (!google::protobuf::util::JsonStringToMessage(decision_json, &value).ok()) return {};
  const auto& fields = value.struct_value().fields();
  auto text = [&](const char* key) {
    auto it = fields.find(key);
    return it == fields.end() ? std::string{} : it->second.string_value();
  };
  return {text("outcome"), text("urgency")};
}

}  // namespace triage

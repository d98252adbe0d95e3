#include "api/decision_record.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "util/json_writer.hpp"

namespace triage {
namespace {

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

// The ids of `indices` in `items` (facts, rules, red flags).
template <typename Items>
auto ids(const std::vector<int>& indices, const Items& items) {
  return [&](JsonArrayWriter& a) {
    for (int i : indices) a.string(items[i].id);
  };
}

}  // namespace

std::string decision_record_json(const CompiledRuleset& ruleset, const Evaluation& e) {
  const model::Ruleset& model = *ruleset.model;
  const auto& plan = model.plan;
  std::string out;
  out.reserve(1024);
  out += '{';
  JsonWriter w(out);
  w.string_field("outcome", e.outcome == Outcome::refer       ? "refer"
                            : e.outcome == Outcome::self_care ? "self_care"
                                                              : "incomplete");
  if (e.urgency != model::Tier::none) w.string_field("urgency", model::to_string(e.urgency));
  w.array_field("red_flags", ids(e.red_flags, model.red_flags));
  w.array_field("missing", ids(e.missing, model.facts));
  w.objects_field("plan", e.plan, [&](JsonWriter& o, const auto& entry) {
    const auto& technique = model.techniques[entry.technique];
    o.string_field("technique", technique.id);
    o.array_field("why", [&](JsonArrayWriter& a) {
      for (int rule : entry.include_rules) a.string(model.rules[rule].id);
      if (entry.include_rules.empty() && plan.targeted[technique.phase]) a.string("plan:targets");
      else if (entry.include_rules.empty() && technique.benefit.empty()) a.string("plan:phases");
      if (!technique.benefit.empty()) a.string("technique:" + technique.id);
    });
    o.array_field("cautions", [&](JsonArrayWriter& a) {
      for (std::size_t c = 0; c < technique.cautions.size(); ++c) a.string("technique:" + technique.id);
      for (int rule : entry.caution_rules) a.string(model.rules[rule].id);
    });
  });
  w.objects_field("excluded", e.excluded, [&](JsonWriter& o, const auto& exclusion) {
    o.string_field("technique", model.techniques[exclusion.technique].id);
    o.array_field("reasons", [&](JsonArrayWriter& a) {
      for (std::uint32_t k = exclusion.first; k < exclusion.first + exclusion.count; ++k) {
        const auto& reason = e.exclusion_reasons[k];
        a.string(reason.kind == ExclusionReason::Kind::rule ? model.rules[reason.rule].id : reason_id(reason.kind));
      }
    });
  });
  w.array_field("cautions", ids(e.cautions, model.rules));
  // Version 2: written only when not empty, so records of version 1 decisions keep their bytes.
  if (!e.refine.empty()) w.array_field("refine", ids(e.refine, model.facts));
  out += '}';
  return out;
}

namespace {

// A cursor over a canonical record; every step fails (returns false) on anything unexpected.
struct Scanner {
  std::string_view text;
  std::size_t at = 0;

  bool literal(std::string_view expected) {
    if (text.substr(at, expected.size()) != expected) return false;
    at += expected.size();
    return true;
  }
  // A string without escapes (ids never need them).
  bool string(std::string_view& out) {
    if (!literal("\"")) return false;
    std::size_t end = text.find('"', at);
    if (end == std::string_view::npos) return false;
    out = text.substr(at, end - at);
    if (out.find('\\') != std::string_view::npos) return false;
    at = end + 1;
    return true;
  }
  // `[` ids `]`; with `into` null the ids are skipped.
  bool ids(std::vector<std::string_view>* into) {
    if (!literal("[")) return false;
    if (literal("]")) return true;
    do {
      std::string_view id;
      if (!string(id)) return false;
      if (into) into->push_back(id);
    } while (literal(","));
    return literal("]");
  }
};

}  // namespace

bool scan_decision_record(std::string_view json, DecisionRecordView& out) {
  out.outcome = out.urgency = {};
  out.red_flags.clear();
  out.plan.clear();
  out.excluded.clear();
  Scanner s{json};
  if (!s.literal("{\"outcome\":") || !s.string(out.outcome)) return false;
  if (s.literal(",\"urgency\":") && !s.string(out.urgency)) return false;
  if (!s.literal(",\"red_flags\":") || !s.ids(&out.red_flags)) return false;
  if (!s.literal(",\"missing\":") || !s.ids(nullptr)) return false;
  if (!s.literal(",\"plan\":[")) return false;
  if (!s.literal("]")) {
    do {
      std::string_view technique;
      if (!s.literal("{\"technique\":") || !s.string(technique) || !s.literal(",\"why\":") || !s.ids(nullptr) ||
          !s.literal(",\"cautions\":") || !s.ids(nullptr) || !s.literal("}")) {
        return false;
      }
      out.plan.push_back(technique);
    } while (s.literal(","));
    if (!s.literal("]")) return false;
  }
  if (!s.literal(",\"excluded\":[")) return false;
  if (!s.literal("]")) {
    do {
      DecisionRecordView::Exclusion exclusion;
      if (!s.literal("{\"technique\":") || !s.string(exclusion.technique) || !s.literal(",\"reasons\":") ||
          !s.ids(&exclusion.reasons) || !s.literal("}")) {
        return false;
      }
      out.excluded.push_back(std::move(exclusion));
    } while (s.literal(","));
    if (!s.literal("]")) return false;
  }
  if (!s.literal(",\"cautions\":") || !s.ids(nullptr)) return false;
  if (s.literal(",\"refine\":") && !s.ids(nullptr)) return false;
  return s.literal("}") && s.at == json.size();
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

#include "auditor/feedback_summary.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "util/json_writer.hpp"

namespace triage {
namespace {

using google::protobuf::Value;

const Value* member(const Value& object, const char* name) {
  if (object.kind_case() != Value::kStructValue) return nullptr;
  const auto& fields = object.struct_value().fields();
  auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

// The ids in a list of ids (canonical record) or of objects with `rule` (full Decision).
void add_ids(const Value* list, std::vector<std::string>& out, std::set<std::string>& seen, bool rules_only) {
  if (list == nullptr || list->kind_case() != Value::kListValue) return;
  for (const Value& item : list->list_value().values()) {
    std::string id;
    if (item.kind_case() == Value::kStringValue) id = item.string_value();
    else if (const Value* rule = member(item, "rule"); rule && rule->kind_case() == Value::kStringValue) id = rule->string_value();
    // `plan:targets`, `technique:cat_cow`: the planner's own reasons, not rules of the ruleset.
    if (id.empty() || (rules_only && id.find(':') != std::string::npos)) continue;
    if (seen.insert(id).second) out.push_back(id);
  }
}

void add_from_items(const Value* items, const char* field, std::vector<std::string>& out, std::set<std::string>& seen) {
  if (items == nullptr || items->kind_case() != Value::kListValue) return;
  for (const Value& item : items->list_value().values()) add_ids(member(item, field), out, seen, true);
}

}  // namespace

FiredIds fired_in_decision(const std::string& decision_json) {
  FiredIds fired;
  Value decision;
  if (!google::protobuf::util::JsonStringToMessage(decision_json, &decision).ok() ||
      decision.kind_case() != Value::kStructValue) {
    return fired;
  }
  std::set<std::string> flags, rules;
  add_ids(member(decision, "red_flags"), fired.red_flags, flags, false);
  add_from_items(member(decision, "plan"), "why", fired.rules, rules);
  add_from_items(member(decision, "plan"), "cautions", fired.rules, rules);
  add_from_items(member(decision, "excluded"), "reasons", fired.rules, rules);
  add_ids(member(decision, "cautions"), fired.rules, rules, true);
  return fired;
}

FeedbackSummary summarize_feedback(const std::vector<FeedbackRow>& rows,
                                   const std::function<std::optional<std::string>(const std::string&)>& decision_of) {
  FeedbackSummary summary;
  std::map<std::pair<std::string, std::string>, RuleFeedback> by_id;  // (kind, id)
  std::map<std::string, FiredIds> fired_by_decision;
  for (const FeedbackRow& row : rows) {
    ++summary.entries;
    const bool overridden = row.outcome == "overridden";
    (overridden ? summary.overridden : summary.accepted) += 1;
    auto cached = fired_by_decision.find(row.decision_id);
    if (cached == fired_by_decision.end()) {
      std::optional<std::string> record = decision_of(row.decision_id);
      if (!record) {
        ++summary.unmatched;
        continue;
      }
      cached = fired_by_decision.emplace(row.decision_id, fired_in_decision(*record)).first;
    }
    auto count = [&](const char* kind, const std::string& id) {
      RuleFeedback& entry = by_id[{kind, id}];
      entry.kind = kind;
      entry.id = id;
      if (!overridden) {
        ++entry.accepted;
        return;
      }
      ++entry.overridden;
      ++entry.override_reasons[row.override_reason.empty() ? "(none given)" : row.override_reason];
    };
    for (const auto& id : cached->second.red_flags) count("red_flag", id);
    for (const auto& id : cached->second.rules) count("rule", id);
  }
  for (auto& [key, entry] : by_id) summary.rules.push_back(std::move(entry));
  std::stable_sort(summary.rules.begin(), summary.rules.end(), [](const RuleFeedback& a, const RuleFeedback& b) {
    if (a.overridden != b.overridden) return a.overridden > b.overridden;
    if (a.kind != b.kind) return a.kind == "red_flag";
    return a.id < b.id;
  });
  return summary;
}

FeedbackSummary summarize_feedback(AuditReader& reader, const std::string& decision_id) {
  return summarize_feedback(reader.feedback(decision_id),
                            [&reader](const std::string& id) { return reader.decision_record(id); });
}

std::string feedback_summary_text(const FeedbackSummary& s) {
  std::ostringstream out;
  out << "per rule and red flag: " << s.entries << " feedback entries, " << s.accepted << " accepted, " << s.overridden
      << " overridden";
  if (s.unmatched > 0) out << "; " << s.unmatched << " on decisions not in this log (not counted below)";
  out << "\n";
  for (const RuleFeedback& r : s.rules) {
    std::int64_t total = r.accepted + r.overridden;
    out << "  " << (r.kind == "red_flag" ? "red flag " : "rule     ") << r.id << ": " << r.overridden << " of " << total
        << " overridden (" << (total ? r.overridden * 100 / total : 0) << "%), " << r.accepted << " accepted";
    if (!r.override_reasons.empty()) {
      out << "; reasons:";
      bool first = true;
      for (const auto& [reason, n] : r.override_reasons) {
        out << (first ? " " : ", ") << json_quote(reason) << " x" << n;
        first = false;
      }
    }
    out << "\n";
  }
  return out.str();
}

std::string feedback_summary_json(const FeedbackSummary& s) {
  return json_object([&](JsonWriter& w) {
    w.object_field("summary", [&](JsonWriter& o) {
      o.number_field("entries", s.entries);
      o.number_field("accepted", s.accepted);
      o.number_field("overridden", s.overridden);
      o.number_field("unmatched", s.unmatched);
      o.objects_field("rules", s.rules, [](JsonWriter& r, const RuleFeedback& rule) {
        r.string_field("kind", rule.kind);
        r.string_field("id", rule.id);
        r.number_field("accepted", rule.accepted);
        r.number_field("overridden", rule.overridden);
        r.objects_field("override_reasons", rule.override_reasons, [](JsonWriter& x, const auto& reason) {
          x.string_field("reason", reason.first);
          x.number_field("count", reason.second);
        });
      });
    });
  });
}

}  // namespace triage

#include "auditor/replay.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "api/decision_json.hpp"
#include "api/decision_record.hpp"
#include "api/decision_proto.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"
#include "util/json_writer.hpp"

namespace triage {
namespace {

using google::protobuf::Value;

// Every leaf of a JSON document by path: `plan[0].technique` -> "\"cat_cow\"".
void flatten(const Value& value, const std::string& path, std::map<std::string, std::string>& out) {
  switch (value.kind_case()) {
    case Value::kStructValue:
      for (const auto& [key, child] : value.struct_value().fields()) {
        flatten(child, path.empty() ? key : path + "." + key, out);
      }
      if (value.struct_value().fields().empty()) out[path] = "{}";
      return;
    case Value::kListValue: {
      const auto& list = value.list_value().values();
      for (int i = 0; i < list.size(); ++i) flatten(list[i], path + "[" + std::to_string(i) + "]", out);
      if (list.empty()) out[path] = "[]";
      return;
    }
    default: {
      std::string text;
      (void)google::protobuf::util::MessageToJsonString(value, &text);
      out[path] = text;
    }
  }
}

std::vector<FieldDifference> field_differences(const std::string& before_json, const std::string& after_json) {
  Value before, after;
  (void)google::protobuf::util::JsonStringToMessage(before_json, &before);
  (void)google::protobuf::util::JsonStringToMessage(after_json, &after);
  std::map<std::string, std::string> a, b;
  flatten(before, "", a);
  flatten(after, "", b);
  std::vector<FieldDifference> differences;
  for (const auto& [path, value] : a) {
    auto it = b.find(path);
    if (it == b.end()) differences.push_back({path, value, ""});
    else if (it->second != value) differences.push_back({path, value, it->second});
  }
  for (const auto& [path, value] : b) {
    if (a.count(path) == 0) differences.push_back({path, "", value});
  }
  std::sort(differences.begin(), differences.end(), [](const auto& x, const auto& y) { return x.path < y.path; });
  return differences;
}

// What two decisions differ in, as the heading of a change.
std::string transition(const std::string& before_json, const std::string& after_json) {
  std::string from = outcome_label(before_json).text(), to = outcome_label(after_json).text();
  if (from != to) return from + " -> " + to;
  return from + " (details changed)";
}

// Re-decides logged answers with one ruleset; false with `why` when they do not fit it.
bool redecide(const CompiledRuleset& ruleset, const std::vector<RawAnswer>& raw, const char* which, Evaluation& out,
              std::string& why) {
  IntakeResult intake = validate_answers(ruleset, raw);
  if (!intake.errors.empty()) {
    why = std::string("the answers do not fit the ") + which + " rules: ";
    for (std::size_t i = 0; i < intake.errors.size(); ++i) why += (i ? "; " : "") + intake.errors[i].message;
    return false;
  }
  out = evaluate(ruleset, intake.answers);
  return true;
}

}  // namespace

ReplayReport replay_audit_log(AuditReader& reader, const DecisionFilter& filter,
                              std::shared_ptr<const CompiledRuleset> candidate,
                              const std::function<void(std::int64_t, std::int64_t)>& progress) {
  ReplayReport report;
  std::map<std::string, std::shared_ptr<const CompiledRuleset>> recorded;
  std::map<std::string, std::string> unloadable;
  std::int64_t total = reader.count(filter);
  reader.for_each_decision(filter, [&](const DecisionRow& row) {
    ++report.replayed;
    if (progress && report.replayed % 100000 == 0) progress(report.replayed, total);
    ReplayDifference difference{row.seq, row.decision_id, row.decided_at, "", {}, ""};
    auto fail = [&](const std::string& why) {
      ++report.failed;
      difference.error = why;
      difference.transition = "failed";
      ++report.transitions["failed"];
      report.differences.push_back(difference);
      return true;
    };
    auto cached = recorded.find(row.ruleset_hash);
    if (cached == recorded.end()) {
      std::vector<std::pair<std::string, std::string>> files;
      std::shared_ptr<const CompiledRuleset> loaded;
      if (reader.ruleset_files(row.ruleset_hash, files)) {
        LoadResult result = load_ruleset_from_texts(files);
        loaded = result.ruleset;
        if (!loaded) unloadable[row.ruleset_hash] = "the recorded ruleset does not load any more";
      } else {
        unloadable[row.ruleset_hash] = "the recorded ruleset " + row.ruleset_hash + " is not in the log";
      }
      cached = recorded.emplace(row.ruleset_hash, loaded).first;
    }
    std::shared_ptr<const CompiledRuleset> recorded_ruleset = cached->second;
    if (!recorded_ruleset) return fail(unloadable[row.ruleset_hash]);
    std::vector<RawAnswer> raw;
    std::string error;
    if (!parse_intake_json(json_object([&](JsonWriter& w) { w.raw_field("answers", row.answers); }), raw, error)) return fail(error);
    google::protobuf::Timestamp decided_at;
    if (!google::protobuf::util::TimeUtil::FromString(row.decided_at, &decided_at)) {
      return fail("its time `" + row.decided_at + "` is not a UTC timestamp");
    }
    std::int64_t micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(decided_at);
    // The logged decision re-made with its own rules must match the log, in both modes.
    Evaluation remade_evaluation;
    if (!redecide(*recorded_ruleset, raw, "recorded", remade_evaluation, error)) return fail(error);
    std::string remade = decision_record_json(*recorded_ruleset, remade_evaluation);
    if (!candidate) {
      if (remade == row.decision) {
        ++report.unchanged;
        return true;
      }
      ++report.changed;
      difference.transition = transition(row.decision, remade);
      difference.fields = field_differences(row.decision, remade);
      ++report.transitions[difference.transition];
      report.differences.push_back(std::move(difference));
      return true;
    }
    if (remade != row.decision) {
      return fail("the logged decision does not replay with its own rules (run replay without --rules)");
    }
    Evaluation candidate_evaluation;
    if (!redecide(*candidate, raw, "candidate", candidate_evaluation, error)) return fail(error);
    // Full decisions, texts included; a candidate has another hash by nature, so that is left out.
    v1::Decision before =
        to_decision_proto(*recorded_ruleset, remade_evaluation, row.decision_id, micros, row.request_id);
    v1::Decision after = to_decision_proto(*candidate, candidate_evaluation, row.decision_id, micros, row.request_id);
    before.clear_ruleset_hash();
    after.clear_ruleset_hash();
    std::string before_json = decision_to_json(before);
    std::string after_json = decision_to_json(after);
    if (before_json == after_json) {
      ++report.unchanged;
      return true;
    }
    ++report.changed;
    difference.transition = transition(before_json, after_json);
    difference.fields = field_differences(before_json, after_json);
    ++report.transitions[difference.transition];
    report.differences.push_back(std::move(difference));
    return true;
  });
  return report;
}

std::string replay_text(const ReplayReport& report, bool candidate) {
  std::string out;
  out += std::string(candidate ? "impact of the candidate rules on " : "replayed ") +
         std::to_string(report.replayed) + " decisions: " + std::to_string(report.unchanged) + " unchanged, " +
         std::to_string(report.changed) + " changed, " + std::to_string(report.failed) + " failed\n";
  if (!report.transitions.empty()) {
    out += "\nby transition:\n";
    for (const auto& [name, count] : report.transitions) out += "  " + std::to_string(count) + "  " + name + "\n";
  }
  for (const auto& difference : report.differences) {
    out += "\nrecord " + std::to_string(difference.seq) + " decision " + difference.decision_id + " (" +
           difference.decided_at + "): " + difference.transition + "\n";
    if (!difference.error.empty()) out += "  " + difference.error + "\n";
    for (const auto& field : difference.fields) {
      out += "  " + field.path + ": " + (field.before.empty() ? "(absent)" : field.before) + " -> " +
             (field.after.empty() ? "(absent)" : field.after) + "\n";
    }
  }
  return out;
}

std::string replay_json(const ReplayReport& report, bool candidate) {
  return json_object([&](JsonWriter& w) {
    w.string_field("mode", candidate ? "impact" : "determinism");
    w.number_field("replayed", report.replayed);
    w.number_field("unchanged", report.unchanged);
    w.number_field("changed", report.changed);
    w.number_field("failed", report.failed);
    w.object_field("transitions", [&](JsonWriter& t) {
      for (const auto& [name, count] : report.transitions) t.number_field(name, count);
    });
    w.objects_field("differences", report.differences, [](JsonWriter& o, const auto& d) {
      o.number_field("seq", d.seq);
      o.string_field("decision_id", d.decision_id);
      o.string_field("decided_at", d.decided_at);
      o.string_field("transition", d.transition);
      if (!d.error.empty()) o.string_field("error", d.error);
      o.objects_field("fields", d.fields, [](JsonWriter& f, const auto& field) {
        f.string_field("path", field.path);
        f.raw_field("before", field.before.empty() ? "null" : field.before);
        f.raw_field("after", field.after.empty() ? "null" : field.after);
      });
    });
  });
}

}  // namespace triage

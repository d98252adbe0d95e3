#include "ruletest/runner.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string_view>
#include <unordered_set>

#include "api/decision_proto.hpp"
#include "diag/render.hpp"
#include "diag/source_set.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruletest/cases.hpp"
#include "util/json_writer.hpp"
#include "util/suggest.hpp"

namespace triage {
namespace {

RawAnswer raw_answer(const CaseAnswer& answer) {
  RawAnswer raw;
  raw.fact = answer.fact;
  const std::string& v = answer.value;
  // Plain decimal numbers only (strtod would also read hex and "inf").
  bool numeric = !v.empty() && v.find_first_not_of("-0123456789.") == std::string::npos &&
                 v.find_first_of("0123456789") != std::string::npos;
  char* end = nullptr;
  double number = numeric ? std::strtod(v.c_str(), &end) : 0;
  if (v == "true" || v == "false") {
    raw.kind = RawAnswer::Kind::boolean;
    raw.boolean = v == "true";
  } else if (numeric && end != nullptr && *end == '\0') {
    raw.kind = RawAnswer::Kind::number;
    raw.number = number;
  } else if (!v.empty() && v.front() == '{') {
    raw.kind = RawAnswer::Kind::list;
    std::string inner = v.substr(1, v.size() >= 2 ? v.size() - 2 : 0);
    std::size_t start = 0;
    while (start < inner.size()) {
      std::size_t comma = inner.find(',', start);
      std::string item = inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) raw.list.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    raw.kind = RawAnswer::Kind::text;
    raw.text = v;
  }
  return raw;
}

std::vector<std::string> plan_ids(const v1::Decision& d) {
  std::vector<std::string> ids;
  for (const auto& item : d.plan()) ids.push_back(item.technique());
  return ids;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "nothing" : out;
}

std::string label(const v1::Decision& d) {
  return v1::Outcome_Name(d.outcome()) + (d.has_urgency() ? "/" + v1::Urgency_Name(d.urgency()) : "");
}

// The ids an expectation names must exist, so a typo cannot make `plan lacks` pass silently.
std::string unknown_id(const Expectation& e, const model::Ruleset& model) {
  std::vector<std::string> techniques, rules, flags, facts;
  for (const auto& t : model.techniques) techniques.push_back(t.id);
  for (const auto& r : model.rules) rules.push_back(r.id);
  for (const auto& f : model.red_flags) flags.push_back(f.id);
  for (const auto& f : model.facts) facts.push_back(f.id);
  auto check = [](const std::string& id, const std::vector<std::string>& known, const char* what) -> std::string {
    if (std::find(known.begin(), known.end(), id) != known.end()) return "";
    std::string hint = did_you_mean(id, known);
    return std::string("unknown ") + what + " `" + id + "`" + (hint.empty() ? "" : "; " + hint);
  };
  const auto& w = e.words;
  if (e.kind == "plan_has" || e.kind == "plan_lacks") return check(w[0], techniques, "technique");
  if (e.kind == "order") {
    std::string first = check(w[0], techniques, "technique");
    return first.empty() ? check(w[1], techniques, "technique") : first;
  }
  if (e.kind == "red_flag") return check(w[0], flags, "red flag");
  if (e.kind == "missing" || e.kind == "missing_lacks" || e.kind == "refine" || e.kind == "refine_lacks") {
    return check(w[0], facts, "fact");
  }
  if (e.kind == "caution") return check(w[0], rules, "rule");
  if (e.kind == "caution_on") {
    std::string first = check(w[0], rules, "rule");
    return first.empty() ? check(w[1], techniques, "technique") : first;
  }
  if (e.kind == "excluded") {
    std::string first = check(w[0], techniques, "technique");
    if (!first.empty() || w[1].rfind("plan:", 0) == 0) return first;
    return check(w[1], rules, "rule");
  }
  return "";
}

// Checks one expectation; empty when met, else the difference.
std::string check(const Expectation& e, const v1::Decision& d) {
  const std::string& a = e.words[0];
  auto contains = [](const auto& list, const std::string& id, auto key) {
    for (const auto& item : list) {
      if (key(item) == id) return true;
    }
    return false;
  };
  std::vector<std::string> plan = plan_ids(d);
  if (e.kind == "outcome") {
    return v1::Outcome_Name(d.outcome()) == a ? "" : "expected outcome " + a + ", got " + label(d);
  }
  if (e.kind == "urgency") {
    std::string urgency = d.has_urgency() ? v1::Urgency_Name(d.urgency()) : "none";
    return urgency == a ? "" : "expected urgency " + a + ", got " + urgency;
  }
  if (e.kind == "red_flag") {
    std::vector<std::string> fired;
    for (const auto& flag : d.red_flags()) fired.push_back(flag.rule());
    return std::count(fired.begin(), fired.end(), a) ? "" : "expected red flag " + a + " to fire; fired: " + joined(fired);
  }
  if (e.kind == "plan_has") {
    return std::count(plan.begin(), plan.end(), a) ? "" : "expected " + a + " in the plan; plan: " + joined(plan);
  }
  if (e.kind == "plan_lacks") {
    return std::count(plan.begin(), plan.end(), a) ? "expected " + a + " not in the plan; plan: " + joined(plan) : "";
  }
  if (e.kind == "order") {
    auto first = std::find(plan.begin(), plan.end(), a);
    auto second = std::find(plan.begin(), plan.end(), e.words[1]);
    if (first == plan.end() || second == plan.end() || first > second) {
      return "expected " + a + " before " + e.words[1] + "; plan: " + joined(plan);
    }
    return "";
  }
  if (e.kind.rfind("missing", 0) == 0 || e.kind.rfind("refine", 0) == 0) {
    bool is_missing = e.kind.rfind("missing", 0) == 0;
    const auto& source = is_missing ? d.missing() : d.refine();
    std::vector<std::string> list(source.begin(), source.end());
    std::string name = is_missing ? "missing" : "refine";
    std::string listed = "; " + name + ": " + (list.empty() ? std::string("none") : joined(list));
    bool present = std::count(list.begin(), list.end(), a) > 0;
    if (e.kind == name + "_none") return list.empty() ? "" : "expected nothing in " + name + listed;
    if (e.kind == name + "_lacks") return present ? "expected " + a + " not in " + name + listed : "";
    return present ? "" : "expected " + a + " in " + name + listed;
  }
  if (e.kind == "excluded") {
    for (const auto& exclusion : d.excluded()) {
      if (exclusion.technique() != a) continue;
      std::vector<std::string> reasons;
      for (const auto& reason : exclusion.reasons()) reasons.push_back(reason.rule());
      if (std::count(reasons.begin(), reasons.end(), e.words[1])) return "";
      return "expected " + a + " excluded by " + e.words[1] + "; excluded by: " + joined(reasons);
    }
    return "expected " + a + " excluded by " + e.words[1] + "; it was not excluded";
  }
  if (e.kind == "caution") {
    bool found = contains(d.cautions(), a, [](const v1::Explanation& c) { return c.rule(); });
    return found ? "" : "expected the general caution " + a;
  }
  if (e.kind == "caution_on") {
    for (const auto& item : d.plan()) {
      if (item.technique() != e.words[1]) continue;
      bool found = contains(item.cautions(), a, [](const v1::Explanation& c) { return c.rule(); });
      return found ? "" : "expected the caution " + a + " on " + e.words[1];
    }
    return "expected the caution " + a + " on " + e.words[1] + ", which is not in the plan";
  }
  return "unknown expectation " + e.kind;
}

}  // namespace

TestReport run_cases(const CompiledRuleset& ruleset, const std::vector<std::pair<std::string, std::string>>& files) {
  const model::Ruleset& model = *ruleset.model;
  TestReport report;
  report.red_flag_hits.assign(model.red_flags.size(), 0);
  report.rule_hits.assign(model.rules.size(), 0);
  report.technique_hits.assign(model.techniques.size(), 0);
  for (const auto& [name, text] : files) {
    CaseFile file = parse_cases(name, text, report.diagnostics);
    std::map<std::string, const CaseBase*> bases;
    for (const auto& base : file.bases) bases[base.name] = &base;
    for (const auto& test : file.cases) {
      CaseResult result{test.name, test.location, {}, {}, {}};
      std::vector<RawAnswer> raw;
      if (!test.base.empty()) {
        auto base = bases.find(test.base);
        if (base == bases.end()) {
          result.failures.push_back("unknown base `" + test.base + "`");
        } else {
          for (const auto& answer : base->second->answers) raw.push_back(raw_answer(answer));
        }
      }
      // The case's own answers replace the base's for the same facts (linear: a set of the case's facts).
      std::unordered_set<std::string_view> own;
      for (const auto& answer : test.answers) own.insert(answer.fact);
      raw.erase(std::remove_if(raw.begin(), raw.end(), [&](const RawAnswer& r) { return own.count(r.fact) != 0; }),
                raw.end());
      for (const auto& answer : test.answers) raw.push_back(raw_answer(answer));
      IntakeResult intake = validate_answers(ruleset, raw);
      for (const auto& refused : intake.errors) result.failures.push_back("invalid answer: " + refused.message);
      if (intake.errors.empty()) {
        Evaluation evaluation = evaluate(ruleset, intake.answers);
        for (int flag : evaluation.red_flags) ++report.red_flag_hits[flag];
        for (int rule : evaluation.fired_rules) ++report.rule_hits[rule];
        result.red_flags.assign(evaluation.red_flags.begin(), evaluation.red_flags.end());
        result.rules.assign(evaluation.fired_rules.begin(), evaluation.fired_rules.end());
        for (const auto& entry : evaluation.plan) ++report.technique_hits[entry.technique];
        v1::Decision decision = to_decision_proto(ruleset, evaluation, "test", 0, "");
        for (const auto& expectation : test.expectations) {
          std::string failure = unknown_id(expectation, model);
          if (failure.empty()) failure = check(expectation, decision);
          if (!failure.empty()) {
            result.failures.push_back(expectation.location.file + ":" + std::to_string(expectation.location.line) +
                                      ": " + failure);
          }
        }
        if (test.expectations.empty()) result.failures.push_back("the case expects nothing");
      }
      (result.passed() ? report.passed : report.failed) += 1;
      report.results.push_back(std::move(result));
    }
  }
  return report;
}

std::string test_report_text(const TestReport& report, const model::Ruleset& model, bool coverage) {
  std::string out;
  for (const auto& d : report.diagnostics) out += render(d, SourceSet{});
  for (const auto& result : report.results) {
    out += std::string(result.passed() ? "PASS " : "FAIL ") + result.name + "\n";
    for (const auto& failure : result.failures) out += "     " + failure + "\n";
  }
  if (coverage) {
    auto section = [&](const char* title, const auto& items, const std::vector<int>& hits, auto id) {
      std::string never;
      int covered = 0;
      for (std::size_t i = 0; i < hits.size(); ++i) {
        if (hits[i] > 0) ++covered;
        else never += "    " + id(items[i]) + "\n";
      }
      out += std::string("\n") + title + ": " + std::to_string(covered) + " of " + std::to_string(hits.size()) +
             " exercised\n";
      if (!never.empty()) out += "  never:\n" + never;
    };
    section("red flags fired", model.red_flags, report.red_flag_hits, [](const auto& f) { return f.id; });
    section("suitability rules that held", model.rules, report.rule_hits, [](const auto& r) { return r.id; });
    section("techniques planned", model.techniques, report.technique_hits, [](const auto& t) { return t.id; });
  }
  out += "\n" + std::to_string(report.passed) + " passed, " + std::to_string(report.failed) + " failed\n";
  return out;
}

std::string test_report_json(const TestReport& report, const model::Ruleset& model) {
  return json_object([&](JsonWriter& w) {
    w.number_field("passed", report.passed);
    w.number_field("failed", report.failed);
    w.objects_field("cases", report.results, [](JsonWriter& o, const auto& r) {
      o.string_field("name", r.name);
      o.string_field("file", r.location.file);
      o.number_field("line", static_cast<std::int64_t>(r.location.line));
      o.bool_field("passed", r.passed());
      o.strings_field("failures", r.failures);
    });
    w.object_field("coverage", [&](JsonWriter& c) {
      auto list = [&](const char* key, const auto& items, const std::vector<int>& hits) {
        c.object_field(key, [&](JsonWriter& l) {
          for (std::size_t i = 0; i < hits.size(); ++i) l.number_field(items[i].id, hits[i]);
        });
      };
      list("red_flags", model.red_flags, report.red_flag_hits);
      list("rules", model.rules, report.rule_hits);
      list("techniques", model.techniques, report.technique_hits);
    });
    w.objects_field("errors", report.diagnostics, write_diagnostic);
  });
}

}  // namespace triage

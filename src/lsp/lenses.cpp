#include "lsp/lenses.hpp"

#include "analyze/analyze.hpp"
#include "lsp/features.hpp"
#include "ruletest/cases.hpp"
#include "ruletest/runner.hpp"

namespace triage::lsp {

namespace {

Json position_json(const Position& p) { return {{"line", p.line}, {"character", p.character}}; }

// A lens on the word at 1-based `line` and byte `column` (a case's `case` keyword).
Json lens(const TextIndex& text, std::size_t line, std::size_t column, std::size_t length, const std::string& title,
          const std::string& command, Json argument) {
  Position start = text.from_line_column(line, column);
  Position end = text.position(text.offset(start) + length);
  return {{"range", {{"start", position_json(start)}, {"end", position_json(end)}}},
          {"command", {{"title", title}, {"command", command}, {"arguments", Json::array({std::move(argument)})}}}};
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::refer: return "refer";
    case Outcome::self_care: return "self_care";
    case Outcome::incomplete: return "incomplete";
  }
  return "incomplete";
}

// "refer/urgent", as the safety analysis and `triage test` write a decision.
std::string decision_label(const Evaluation& decision) {
  std::string text = outcome_name(decision.outcome);
  if (decision.urgency != model::Tier::none) text += std::string("/") + model::to_string(decision.urgency);
  return text;
}

}  // namespace

std::vector<std::string> command_names() { return {run_case_command, run_file_command, witness_command}; }

Json case_lenses(const std::string& uri, const std::string& name, const std::string& text, bool utf16) {
  Json lenses = Json::array();
  Diagnostics malformed;  // shown as diagnostics already; a lens needs only the cases that parsed
  CaseFile file = parse_cases(name, text, malformed);
  if (file.cases.empty()) return lenses;
  TextIndex index(text, utf16);
  lenses.push_back(lens(index, 1, 1, 0, "Run all tests in this file", run_file_command, {{"uri", uri}}));
  for (const auto& test : file.cases) {
    std::size_t line = test.location.line == 0 ? 0 : test.location.line - 1;
    lenses.push_back(lens(index, test.location.line, test.location.column, 4, "Run test", run_case_command,
                          {{"uri", uri}, {"case", test.name}, {"line", line}}));
  }
  return lenses;
}

Json red_flag_lenses(const FolderSnapshot& snapshot, const std::string& uri, const std::string& file, bool utf16) {
  Json lenses = Json::array();
  const SourceFile* source = snapshot.source(file);
  if (!source) return lenses;
  TextIndex index(source->text(), utf16);
  for (const auto& parsed : snapshot.loaded.parsed) {
    if (parsed.source->name() != file) continue;
    for (const auto& declaration : parsed.ast.declarations) {
      const auto* rule = std::get_if<ast::RuleDecl>(&declaration);
      if (!rule || !rule->red_flag) continue;
      // On the red flag's name, so the lens sits above its declaration.
      Position start = index.position(rule->name.offset);
      lenses.push_back(lens(index, start.line + 1, index.offset(start) - index.offset({start.line, 0}) + 1,
                            rule->name.name.size(), "Show a witness intake", witness_command,
                            {{"uri", uri}, {"flag", rule->name.name}}));
    }
  }
  return lenses;
}

std::optional<CommandOutcome> run_case_file(const CompiledRuleset& ruleset, const std::string& name, const std::string& text,
                                            const std::string& case_name, std::optional<std::size_t> line) {
  // The runner runs the whole file (bases are shared, and it takes milliseconds); one case is then
  // picked from its report, so a single case is judged exactly as `triage test` judges it.
  TestReport report = run_cases(ruleset, {{name, text}});
  std::vector<const CaseResult*> chosen;
  if (case_name.empty()) {
    for (const auto& result : report.results) chosen.push_back(&result);
  } else {
    for (const auto& result : report.results) {
      if (result.name == case_name) chosen.push_back(&result);
    }
    if (chosen.size() > 1 && line) {
      for (const auto* result : chosen) {
        if (result->location.line == *line + 1) chosen = {result};
      }
    }
    if (chosen.empty()) return std::nullopt;
    chosen.resize(1);
  }
  CommandOutcome out;
  Json cases = Json::array();
  int passed = 0, failed = 0;
  std::string failures;
  for (const auto* result : chosen) {
    (result->passed() ? passed : failed) += 1;
    cases.push_back({{"name", result->name},
                     {"line", result->location.line == 0 ? 0 : result->location.line - 1},
                     {"passed", result->passed()},
                     {"failures", result->failures}});
    if (result->passed()) continue;
    failures += "\nFAIL " + result->name;
    for (const auto& failure : result->failures) failures += "\n  " + failure;
  }
  Json errors = Json::array();
  for (const auto& d : report.diagnostics) {
    errors.push_back({{"line", d.location.line == 0 ? 0 : d.location.line - 1}, {"code", d.code}, {"message", d.message}});
  }
  out.result = {{"passed", passed}, {"failed", failed}, {"cases", cases}, {"errors", errors}};
  if (case_name.empty()) {
    out.message = name + ": " + std::to_string(passed) + " passed, " + std::to_string(failed) + " failed" + failures;
    if (!errors.empty()) out.message += "\n" + std::to_string(errors.size()) + " malformed line(s): see the diagnostics";
  } else {
    out.message = (failed == 0 ? "PASS " + chosen.front()->name : failures.substr(1));
  }
  // Malformed lines elsewhere in the file do not make one passing case fail; for the file they do.
  out.message_type = failed > 0 || (case_name.empty() && !errors.empty()) ? 1 : 3;
  return out;
}

std::optional<CommandOutcome> show_witness(const CompiledRuleset& ruleset, const std::string& flag_id) {
  const auto& flags = ruleset.model->red_flags;
  int flag = -1;
  for (std::size_t f = 0; f < flags.size(); ++f) {
    if (flags[f].id == flag_id) flag = static_cast<int>(f);
  }
  if (flag < 0) return std::nullopt;
  RedFlagWitness found = red_flag_witness(ruleset, flag);
  CommandOutcome out;
  if (found.status != RedFlagWitness::Status::fires) {
    bool never = found.status == RedFlagWitness::Status::never;
    out.result = {{"flag", flag_id}, {"status", never ? "never" : "undecided"}};
    out.message_type = never ? 1 : 2;
    out.message = never ? "red flag `" + flag_id + "` can never fire: no answers satisfy its condition, so it protects no patient"
                        : "the search for an intake that makes red flag `" + flag_id +
                              "` fire ran out of budget; `triage check` reports the rules as too large to verify";
    return out;
  }
  std::string decision = decision_label(found.decision);
  // The case is the existing code action's (witness_case), with what the decision shows as its
  // expectations, so that pasted into a `.cases` file it passes and then guards the red flag.
  std::string text = witness_case(found.witness, "red flag " + flag_id + " fires",
                                  {"witness intake of red flag `" + flag_id + "` (triage lsp: Show a witness intake);",
                                   "the other red-flag questions are answered with their first value (no, none, lowest)"});
  text += "  expect red_flag " + flag_id + "\n";
  text += std::string("  expect outcome ") + outcome_name(found.decision.outcome) + "\n";
  if (found.decision.urgency != model::Tier::none) text += std::string("  expect urgency ") + model::to_string(found.decision.urgency) + "\n";
  out.result = {{"flag", flag_id},
                {"status", "fires"},
                {"witness", Json::parse(found.witness)},
                {"decision", decision},
                {"case", text}};
  out.message = "red flag `" + flag_id + "` fires on this intake (decision " + decision + "); as a case for a .cases file:\n\n" + text;
  return out;
}

}  // namespace triage::lsp

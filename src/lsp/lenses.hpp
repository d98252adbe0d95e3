#pragma once
// Code lenses and the commands they run (workspace/executeCommand): on a `.cases` file, run one
// case or all of them with the engine's rule-test runner (ruletest/runner); on a red flag, show an
// intake that makes it fire, found by the safety analysis' own search (analyze/analyze). Pure
// functions, like features.hpp: the server finds the texts and the snapshot and sends the message.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compile/compiled.hpp"
#include "lsp/workspace.hpp"

namespace triage::lsp {

using Json = nlohmann::json;

// The command names, advertised in `executeCommandProvider` (editors offer only those).
inline constexpr const char* run_case_command = "triage.runCase";
inline constexpr const char* run_file_command = "triage.runCases";
inline constexpr const char* witness_command = "triage.showWitness";
std::vector<std::string> command_names();

// textDocument/codeLens for a `.cases` file `name` at `uri`: "Run all tests in this file" on the
// first line, "Run test" on each `case` line. Each lens carries its command (no resolve needed):
// arguments [{"uri", "case" (its name), "line" (0-based)}] for one case, [{"uri"}] for the file.
Json case_lenses(const std::string& uri, const std::string& name, const std::string& text, bool utf16);

// textDocument/codeLens for a rule file of the snapshot: "Show a witness intake" on the name of
// each red flag it declares; arguments [{"uri", "flag"}].
Json red_flag_lenses(const FolderSnapshot& snapshot, const std::string& uri, const std::string& file, bool utf16);

// What a command did: its result (the JSON answer to workspace/executeCommand) and the message
// to show the author (window/showMessage: 1 error, 2 warning, 3 info).
struct CommandOutcome {
  Json result;
  int message_type = 3;
  std::string message;
};

// Runs the cases of the `.cases` file `name` (text as the editor holds it) against `ruleset`:
// the one named `case_name` (the one at 0-based `line` when several share the name), or all of
// them when `case_name` is empty. The result is {"passed", "failed", "cases": [{"name", "line",
// "passed", "failures"}], "errors": [malformed lines]}; nothing when there is no such case.
std::optional<CommandOutcome> run_case_file(const CompiledRuleset& ruleset, const std::string& name, const std::string& text,
                                            const std::string& case_name, std::optional<std::size_t> line);

// An intake that makes red flag `flag_id` fire, as a `.cases` case to paste (its answers, and
// what the decision on it shows as `expect` lines), or the finding that no intake can; the
// result is {"flag", "status" (fires | never | undecided), "witness", "decision", "case"}.
// Nothing when the ruleset has no such red flag.
std::optional<CommandOutcome> show_witness(const CompiledRuleset& ruleset, const std::string& flag_id);

}  // namespace triage::lsp

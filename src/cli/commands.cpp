#include "cli/commands.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "analyze/analyze.hpp"
#include "api/decision_json.hpp"
#include "api/decision_proto.hpp"
#include "check/governance.hpp"
#include "cli/options.hpp"
#include "diag/codes.hpp"
#include "diag/render.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/analysis_cache.hpp"
#include "ruleset/open.hpp"
#include "util/files.hpp"
#include "util/json_writer.hpp"

namespace triage::cli {
namespace {

// The analysis cache for this build of `triage`: the executable's identity (inode, size and
// modification time) is the salt, so a rebuilt analysis never reads a stale entry. None when no
// cache folder is known or TRIAGE_NO_CACHE is set.
std::unique_ptr<AnalysisCache> analysis_cache() {
  std::string folder = AnalysisCache::default_folder();
  if (folder.empty() || std::getenv("TRIAGE_NO_CACHE")) return nullptr;
  struct stat self {};
  if (stat("/proc/self/exe", &self) != 0) return nullptr;
  std::string salt = std::to_string(self.st_ino) + ":" + std::to_string(self.st_size) + ":" +
                     std::to_string(self.st_mtim.tv_sec) + "." + std::to_string(self.st_mtim.tv_nsec);
  return std::make_unique<AnalysisCache>(folder, salt);
}

bool open_or_report(const std::string& command, const std::string& folder, OpenedRuleset& opened, Io io) {
  std::string error;
  auto cache = analysis_cache();
  if (open_ruleset(folder, opened, error, cache.get())) return true;
  io.err << "triage " << command << ": " << error << "\n";
  return false;
}

}  // namespace

void open_for_check(const std::string& folder, OpenedRuleset& opened) {
  std::string error;
  auto cache = analysis_cache();
  if (open_ruleset(folder, opened, error, cache.get())) return;
  // `check` reports an unreadable folder like any other problem, in the chosen format.
  opened = OpenedRuleset{};
  opened.sources = std::make_shared<SourceSet>();
  opened.diagnostics.push_back({std::string(code::rules_folder), Severity::error, {folder, 0, 0}, error, {}});
}

bool open_servable(const std::string& command, const std::string& folder, OpenedRuleset& opened, Io io) {
  if (!open_or_report(command, folder, opened, io)) return false;
  if (!opened.ruleset) {
    io.err << render_all(opened.diagnostics, *opened.sources);
    return false;
  }
  if (!opened.servable()) {
    io.err << "triage " << command << ": the rules fail the safety analysis; see `triage check`:\n"
           << render_all(opened.refusals(), *opened.sources);
    return false;
  }
  return true;
}

std::string read_error() {
  int saved = errno;
  return saved == 0 ? "it could not be read" : std::strerror(saved);
}

bool read_input(const std::string& path, std::istream& in, std::string& text) {
  errno = 0;
  if (path != "-") return read_text_file(path, text);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

namespace {

const CommandSpec check_spec{
    "check",
    "usage: triage check [--rules DIR] [--strict] [--release [--today YYYY-MM-DD]] [--format text|json]\n"
    "  syntax, types and the safety analysis with witnesses; exit 1 on errors (and on warnings with --strict)\n"
    "  --release: the deployment gate (header complete, status production, review not due, every red flag\n"
    "  controlling a hazard, every hazard control exercised by a passing .cases test)\n",
    {"--strict", "--release"},
    {"--rules", "--format", "--today"}};

const CommandSpec eval_spec{
    "eval",
    "usage: triage eval [--rules DIR] --intake FILE|- [--jsonl]\n"
    "  decides one intake ({\"answers\": {…}}) and prints the decision as JSON. A FILE ending in .jsonl\n"
    "  (or --jsonl) holds one intake per line: one decision per line comes back, a line's errors as\n"
    "  {\"line\": N, \"errors\": […]}; blank lines are skipped. Exit 2 when any intake is invalid.\n",
    {"--jsonl"},
    {"--rules", "--intake"}};

const CommandSpec schema_spec{"schema",
                              "usage: triage schema [--rules DIR]\n"
                              "  prints the questionnaire a kiosk renders, as JSON\n",
                              {},
                              {"--rules"}};

// One intake's decision as JSON, or false with what was wrong with it.
bool decide(const CompiledRuleset& ruleset, const std::string& text, std::string& decision,
            std::vector<std::string>& errors) {
  std::vector<RawAnswer> raw;
  std::string error;
  if (!parse_intake_json(text, raw, error)) {
    errors.push_back(error);
    return false;
  }
  IntakeResult intake = validate_answers(ruleset, raw);
  for (const auto& refused : intake.errors) errors.push_back("invalid answer: " + refused.message);
  if (!errors.empty()) return false;
  Evaluation evaluation = evaluate(ruleset, intake.answers);
  decision = decision_to_json(to_decision_proto(ruleset, evaluation, new_decision_id(), now_micros(), ""));
  return true;
}

// Decides every non-blank line of `text`; returns the exit code.
int eval_lines(const CompiledRuleset& ruleset, const std::string& text, Io io) {
  int code = exit_ok;
  std::size_t number = 0, start = 0;
  std::string decision;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::vector<std::string> errors;
    if (decide(ruleset, line, decision, errors)) {
      io.out << decision << "\n";
      continue;
    }
    code = exit_invalid_input;
    io.out << json_object([&](JsonWriter& w) {
      w.number_field("line", static_cast<std::int64_t>(number));
      w.strings_field("errors", errors);
    }) << "\n";
  }
  return code;
}

}  // namespace

bool today_option(const Options& options, const std::string& command, Io io, long& today) {
  today = today_utc();
  if (!options.has("--today")) return true;
  auto day = check::parse_date(options.get("--today", ""));
  if (!day) {
    io.err << "triage " << command << ": --today must be a date YYYY-MM-DD\n";
    return false;
  }
  today = *day;
  return true;
}

int run_check(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, check_spec, options, io, code)) return code;
  bool strict = options.flag("--strict");
  bool release = options.flag("--release");
  long today = 0;
  if (!today_option(options, "check", io, today)) return exit_failure;
  std::string format = options.get("--format", "text");
  if (format != "text" && format != "json") {
    io.err << "triage check: --format must be text or json\n";
    return exit_failure;
  }
  std::string folder = options.get("--rules", "rules");
  OpenedRuleset loaded;
  open_for_check(folder, loaded);
  const AnalysisReport& report = loaded.analysis;
  // Governance: sources, hazards and, with --release, the deployment gate.
  Diagnostics governance;
  if (loaded.ruleset) governance = review_governance(*loaded.ruleset, folder, release, today);
  // Readability of the patient's words: warnings beside governance's, so --strict refuses them.
  governance.insert(governance.begin(), loaded.advisories.begin(), loaded.advisories.end());
  std::size_t errors = 0, warnings = 0;
  for (const auto& finding : report.findings) {
    if (finding.diagnostic.severity == Severity::error) ++errors;
    if (finding.diagnostic.severity == Severity::warning) ++warnings;  // notes are shown, not counted
  }
  for (const auto& d : governance) {
    if (d.severity == Severity::error) ++errors;
    if (d.severity == Severity::warning) ++warnings;  // notes (readability) are shown, not counted
  }
  bool ok = loaded.ruleset != nullptr && errors == 0 && (!strict || warnings == 0);
  if (format == "json") {
    io.out << json_object([&](JsonWriter& w) {
      w.bool_field("ok", ok);
      w.string_field("ruleset_hash", loaded.ruleset ? loaded.ruleset->model->hash : "");
      w.raw_field("diagnostics", render_json(loaded.diagnostics));
      w.raw_field("governance", render_json(governance));
      w.raw_field("findings", findings_json(report));
    }) << "\n";
    return ok ? exit_ok : exit_failure;
  }
  if (!loaded.ruleset) {
    io.err << render_all(loaded.diagnostics, *loaded.sources);
    return exit_failure;
  }
  if (!loaded.diagnostics.empty()) io.err << render_all(loaded.diagnostics, *loaded.sources);
  io.out << render_findings(report, *loaded.sources);
  if (!governance.empty()) io.out << render_all(governance, *loaded.sources);
  const model::Ruleset& model = *loaded.ruleset->model;
  io.out << folder << ": " << (ok ? "ok" : "FAILED") << ", " << model.files.size() << " files, " << model.facts.size()
         << " facts, " << model.techniques.size() << " techniques, " << model.red_flags.size() << " red flags, "
         << model.rules.size() << " rules; " << errors << (errors == 1 ? " error, " : " errors, ") << warnings
         << (warnings == 1 ? " warning" : " warnings") << (strict && warnings ? " (--strict)" : "") << (release ? " (--release)" : "") << "; "
         << model.hash << "\n";
  return ok ? exit_ok : exit_failure;
}

int run_eval(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, eval_spec, options, io, code)) return code;
  if (!options.has("--intake")) {
    io.err << "triage eval: --intake FILE (or - for stdin) is required\n" << eval_spec.usage;
    return exit_failure;
  }
  // Decide only with rules the server would serve.
  OpenedRuleset opened;
  if (!open_servable("eval", options.get("--rules", "rules"), opened, io)) return exit_failure;
  const CompiledRuleset& ruleset = *opened.ruleset;
  std::string text;
  std::string path = options.get("--intake", "-");
  if (!read_input(path, io.in, text)) {
    io.err << "triage eval: cannot read the intake file `" << path << "`: " << read_error() << "\n";
    return exit_invalid_input;
  }
  bool jsonl = options.flag("--jsonl") || (path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0);
  if (jsonl) return eval_lines(ruleset, text, io);
  std::string decision;
  std::vector<std::string> errors;
  if (!decide(ruleset, text, decision, errors)) {
    for (const auto& error : errors) io.err << "triage eval: " << error << "\n";
    return exit_invalid_input;
  }
  io.out << decision << "\n";
  return exit_ok;
}

int run_schema(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, schema_spec, options, io, code)) return code;
  OpenedRuleset opened;
  if (!open_servable("schema", options.get("--rules", "rules"), opened, io)) return exit_failure;
  io.out << to_json(to_questionnaire(*opened.ruleset)) << "\n";
  return exit_ok;
}

}  // namespace triage::cli

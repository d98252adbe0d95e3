#include "cli/commands.hpp"

#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "analyze/analyze.hpp"
#include "api/decision_json.hpp"
#include "api/decision_proto.hpp"
#include "cli/options.hpp"
#include "diag/render.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"
#include "util/files.hpp"

namespace triage::cli {
namespace {

// Loads the ruleset, printing diagnostics on failure.
std::shared_ptr<const CompiledRuleset> load_or_report(const std::string& folder, Io io) {
  LoadResult loaded = load_ruleset(folder);
  if (!loaded.ruleset) {
    io.err << render_all(loaded.diagnostics, *loaded.sources);
    return nullptr;
  }
  return loaded.ruleset;
}

}  // namespace

bool read_input(const std::string& path, std::istream& in, std::string& text) {
  if (path != "-") return read_text_file(path, text);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

namespace {

}  // namespace

int run_check(const std::vector<std::string>& args, Io io) {
  std::vector<std::string> rest;
  bool strict = false;
  for (const auto& arg : args) {
    if (arg == "--strict") strict = true;
    else rest.push_back(arg);
  }
  Options options = parse_options(rest, {"--rules", "--format"});
  if (!options.error.empty()) {
    io.err << "triage check: " << options.error << "\n";
    return exit_failure;
  }
  std::string format = options.get("--format", "text");
  if (format != "text" && format != "json") {
    io.err << "triage check: --format must be text or json\n";
    return exit_failure;
  }
  std::string folder = options.get("--rules", "rules");
  LoadResult loaded = load_ruleset(folder);
  AnalysisReport report;
  if (loaded.ruleset) report = analyze(*loaded.ruleset);
  std::size_t errors = 0, warnings = 0;
  for (const auto& finding : report.findings) {
    (finding.diagnostic.severity == Severity::error ? errors : warnings) += 1;
  }
  bool ok = loaded.ruleset != nullptr && errors == 0 && (!strict || warnings == 0);
  if (format == "json") {
    io.out << "{\"ok\":" << (ok ? "true" : "false") << ",\"ruleset_hash\":\""
           << (loaded.ruleset ? loaded.ruleset->model->hash : "") << "\""
           << ",\"diagnostics\":" << render_json(loaded.diagnostics) << ",\"findings\":" << findings_json(report)
           << "}\n";
    return ok ? exit_ok : exit_failure;
  }
  if (!loaded.ruleset) {
    io.err << render_all(loaded.diagnostics, *loaded.sources);
    return exit_failure;
  }
  if (!loaded.diagnostics.empty()) io.err << render_all(loaded.diagnostics, *loaded.sources);
  io.out << render_findings(report, *loaded.sources);
  const model::Ruleset& model = *loaded.ruleset->model;
  io.out << folder << ": " << (ok ? "ok" : "FAILED") << ", " << model.files.size() << " files, " << model.facts.size()
         << " facts, " << model.techniques.size() << " techniques, " << model.red_flags.size() << " red flags, "
         << model.rules.size() << " rules; " << errors << (errors == 1 ? " error, " : " errors, ") << warnings
         << (warnings == 1 ? " warning" : " warnings") << (strict && warnings ? " (--strict)" : "") << "; "
         << model.hash << "\n";
  return ok ? exit_ok : exit_failure;
}

int run_eval(const std::vector<std::string>& args, Io io) {
  Options options = parse_options(args, {"--rules", "--intake"});
  if (!options.error.empty() || options.values.count("--intake") == 0) {
    io.err << "triage eval: " << (options.error.empty() ? "--intake FILE (or - for stdin) is required" : options.error)
           << "\n";
    return exit_failure;
  }
  auto ruleset = load_or_report(options.get("--rules", "rules"), io);
  if (!ruleset) return exit_failure;
  // Decide only with rules the server would serve.
  Diagnostics unsafe = analysis_errors(analyze(*ruleset));
  if (!unsafe.empty()) {
    io.err << "triage eval: the rules fail the safety analysis; see `triage check`:\n";
    for (const auto& d : unsafe) io.err << "  " << d.location.file << ":" << d.location.line << ": " << d.message << "\n";
    return exit_failure;
  }
  std::string text;
  std::string path = options.get("--intake", "-");
  if (!read_input(path, io.in, text)) {
    io.err << "triage eval: cannot read the intake file `" << path << "`\n";
    return exit_invalid_input;
  }
  std::vector<RawAnswer> raw;
  std::string error;
  if (!parse_intake_json(text, raw, error)) {
    io.err << "triage eval: " << error << "\n";
    return exit_invalid_input;
  }
  IntakeResult intake = validate_answers(*ruleset, raw);
  if (!intake.errors.empty()) {
    for (const auto& refused : intake.errors) io.err << "triage eval: invalid answer: " << refused.message << "\n";
    return exit_invalid_input;
  }
  Evaluation evaluation = evaluate(*ruleset, intake.answers);
  io.out << decision_to_json(to_decision_proto(*ruleset, evaluation, new_decision_id(), now_micros(), "")) << "\n";
  return exit_ok;
}

int run_schema(const std::vector<std::string>& args, Io io) {
  Options options = parse_options(args, {"--rules"});
  if (!options.error.empty()) {
    io.err << "triage schema: " << options.error << "\n";
    return exit_failure;
  }
  auto ruleset = load_or_report(options.get("--rules", "rules"), io);
  if (!ruleset) return exit_failure;
  io.out << to_json(to_questionnaire(*ruleset)) << "\n";
  return exit_ok;
}

}  // namespace triage::cli

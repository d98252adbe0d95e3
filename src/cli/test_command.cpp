// `triage test [--rules DIR] [--coverage] [--format text|json] [FILES…]`
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "ruleset/open.hpp"
#include "ruletest/runner.hpp"
#include "util/files.hpp"

namespace triage::cli {

namespace {

const CommandSpec test_spec{"test",
                            "usage: triage test [--rules DIR] [--coverage] [--strict] [--format text|json] [FILES…]\n"
                            "  runs the rule tests in DIR/tests/*.cases (or FILES); --coverage lists what no case\n"
                            "  exercised, --strict fails on it\n",
                            {"--coverage", "--strict"},
                            {"--rules", "--format"},
                            /*positionals=*/true};

}  // namespace

int run_test(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, test_spec, options, io, code)) return code;
  std::string rules = options.get("--rules", "rules"), format = options.get("--format", "text");
  bool coverage = options.flag("--coverage"), strict = options.flag("--strict");
  std::vector<std::string> paths = options.positionals;
  // Cases run only against rules the server would serve.
  OpenedRuleset loaded;
  if (!open_servable("test", rules, loaded, io)) return exit_failure;
  if (paths.empty()) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(rules + "/tests", error)) {
      if (entry.path().extension() == ".cases") paths.push_back(entry.path().string());
    }
    std::sort(paths.begin(), paths.end());
  }
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : paths) {
    std::string text;
    if (!read_text_file(path, text)) {
      io.err << "triage test: cannot read " << path << "\n";
      return exit_failure;
    }
    files.emplace_back(std::filesystem::path(path).filename().string(), text);
  }
  if (files.empty()) {
    io.err << "triage test: no *.cases files in " << rules << "/tests and none given\n";
    return exit_failure;
  }
  TestReport report = run_cases(*loaded.ruleset, files);
  io.out << (format == "json" ? test_report_json(report, *loaded.ruleset->model) + "\n"
                              : test_report_text(report, *loaded.ruleset->model, coverage));
  bool ok = report.failed == 0 && report.diagnostics.empty() && report.passed > 0;
  if (strict) {
    // Every red flag, suitability rule and technique must be exercised by some case.
    auto all = [](const std::vector<int>& hits) {
      return std::all_of(hits.begin(), hits.end(), [](int h) { return h > 0; });
    };
    bool covered = all(report.red_flag_hits) && all(report.rule_hits) && all(report.technique_hits);
    if (!covered) io.err << "triage test: --strict: some red flags, rules or techniques are never exercised"
                            " (see --coverage)\n";
    ok = ok && covered;
  }
  return ok ? exit_ok : exit_failure;
}

}  // namespace triage::cli

// `triage test [--rules DIR] [--coverage] [--format text|json] [FILES…]`
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "diag/render.hpp"
#include "ruleset/loader.hpp"
#include "ruletest/runner.hpp"
#include "util/files.hpp"

namespace triage::cli {

int run_test(const std::vector<std::string>& args, Io io) {
  std::string rules = "rules", format = "text";
  bool coverage = false, strict = false;
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--coverage") coverage = true;
    else if (args[i] == "--strict") strict = true;
    else if (args[i] == "--rules" && i + 1 < args.size()) rules = args[++i];
    else if (args[i] == "--format" && i + 1 < args.size()) format = args[++i];
    else if (args[i].rfind("--", 0) == 0) {
      io.err << "triage test: unknown option " << args[i] << "\n"
             << "usage: triage test [--rules DIR] [--coverage] [--strict] [--format text|json] [FILES…]\n";
      return exit_failure;
    } else {
      paths.push_back(args[i]);
    }
  }
  LoadResult loaded = load_ruleset(rules);
  if (!loaded.ruleset) {
    io.err << render_all(loaded.diagnostics, *loaded.sources);
    return exit_failure;
  }
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

// `triage hazards`: the hazard log with traceability to the `.cases` tests that exercise each control;
// and the case run `triage check --release` uses for its coverage gate.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "check/governance.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "diag/codes.hpp"
#include "diag/render.hpp"
#include "parse/language.hpp"
#include "ruleset/approval.hpp"
#include "ruleset/open.hpp"
#include "ruletest/runner.hpp"
#include "util/files.hpp"
#include "util/json_text.hpp"

namespace triage::cli {

std::optional<TestReport> run_folder_cases(const CompiledRuleset& ruleset, const std::string& rules, std::string& error) {
  std::vector<std::string> paths;
  std::error_code code;
  for (const auto& entry : std::filesystem::directory_iterator(rules + "/tests", code)) {
    if (entry.path().extension() == ".cases") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) {
    error = "no *.cases files in " + rules + "/tests";
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : paths) {
    std::string text;
    if (!read_text_file(path, text)) {
      error = "cannot read " + path;
      return std::nullopt;
    }
    files.emplace_back(std::filesystem::path(path).filename().string(), text);
  }
  return run_cases(ruleset, files);
}

Diagnostics review_governance(const CompiledRuleset& ruleset, const std::string& folder, bool release, long today) {
  Diagnostics governance;
  GovernanceOptions gate;
  gate.release = release;
  gate.today = today;
  if (release) {
    std::string error;
    auto cases = run_folder_cases(ruleset, folder, error);
    gate.have_coverage = true;
    if (!cases) {
      governance.push_back({std::string(code::untested_control), Severity::error, {folder, 1, 1}, "no rule tests to trace hazard controls: " + error, {}});
    } else {
      const model::Ruleset& m = *ruleset.model;
      for (const auto& result : cases->results) {
        for (int flag : result.red_flags) gate.exercised.insert(m.red_flags[flag].id);
        for (int rule : result.rules) gate.exercised.insert(m.rules[rule].id);
      }
      if (cases->failed > 0 || !cases->diagnostics.empty()) {
        governance.push_back({std::string(code::failing_tests), Severity::error, {folder + "/tests", 1, 1},
                              std::to_string(cases->failed) + " rule tests fail; a release passes `triage test`", {}});
      }
    }
  }
  Diagnostics review = governance_review(*ruleset.model, gate);
  governance.insert(governance.end(), review.begin(), review.end());
  return governance;
}

namespace {

std::string risk_text(const model::Risk& risk) {
  return std::string(risk_severity_name(risk)) + "/" + std::string(risk_likelihood_name(risk)) + " (" +
         std::to_string(risk.rating) + ")";
}

const CommandSpec hazards_spec{
    "hazards",
    "usage: triage hazards [--rules DIR] [--format md|csv|json]\n"
    "  the hazard log with traceability: hazard -> controls -> the .cases tests that exercise them, with\n"
    "  pass/fail from running them; exit 1 when a hazard has no control or a control no passing test\n",
    {},
    {"--rules", "--format"}};

const CommandSpec sign_spec{
    "sign",
    std::string("usage: triage sign [--rules DIR] --key KEY.pem [--out FILE|-] [--today YYYY-MM-DD]\n"
                "  writes a detached Ed25519 signature over the ruleset hash and its header to FILE (default\n"
                "  DIR/") + signature_file_name + "); a ruleset whose status is production is signed only\n"
                "  when it passes `triage check --release` (as of --today)\n",
    {},
    {"--rules", "--key", "--out", "--today"}};

struct ControlRow {
  std::string kind;  // red_flag | rule
  std::string id;
  std::vector<const CaseResult*> cases;
};

std::vector<ControlRow> controls_of(const model::Ruleset& model, const model::Hazard& hazard, const TestReport& report) {
  std::vector<ControlRow> rows;
  for (const auto& control : hazard.controls) {
    bool flag = control.kind == model::Control::Kind::red_flag;
    ControlRow row{flag ? "red_flag" : "rule",
                   flag ? model.red_flags[control.index].id : model.rules[control.index].id, {}};
    for (const auto& result : report.results) {
      const auto& fired = flag ? result.red_flags : result.rules;
      if (std::find(fired.begin(), fired.end(), control.index) != fired.end()) row.cases.push_back(&result);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string csv_field(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string case_name(const CaseResult& result) { return result.location.file + ": " + result.name; }

// How many passing cases the Markdown lists per control.
constexpr std::size_t max_cases_listed = 10;

// A control with what it does: "red flag `id` (refer emergency)" or "rule `id`".
std::string control_summary(const model::Ruleset& model, const ControlRow& row) {
  if (row.kind != "red_flag") return "rule `" + row.id + "`";
  for (const auto& flag : model.red_flags) {
    if (flag.id == row.id && flag.tier != model::Tier::none) {
      return "red flag `" + row.id + "` (refer " +
             std::string(language::tier_names[static_cast<std::size_t>(flag.tier) - 1]) + ")";
    }
  }
  return "red flag `" + row.id + "`";
}

}  // namespace

int run_hazards(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, hazards_spec, options, io, code)) return code;
  std::string format = options.get("--format", "md");
  if (format != "md" && format != "csv" && format != "json") {
    io.err << "triage hazards: --format must be md, csv or json\n";
    return exit_failure;
  }
  std::string folder = options.get("--rules", "rules");
  OpenedRuleset loaded;
  open_for_check(folder, loaded);
  if (!loaded.ruleset) {
    io.err << render_all(loaded.diagnostics, *loaded.sources);
    return exit_failure;
  }
  const model::Ruleset& model = *loaded.ruleset->model;
  std::string error;
  auto report = run_folder_cases(*loaded.ruleset, folder, error);
  if (!report) {
    io.err << "triage hazards: " << error << "\n";
    return exit_failure;
  }
  const auto& header = model.header;
  bool complete = !model.hazards.empty();
  std::ostringstream out;
  if (format == "md") {
    out << "# Hazard log: " << (header.title.empty() ? folder : header.title) << "\n\n";
    out << "Version " << (header.version.empty() ? "(none)" : header.version) << ", status "
        << (header.status.empty() ? "(none)" : header.status) << ", ruleset " << model.hash << ".\n";
    out << "Approved by: " << (header.approved_by.empty() ? "(not approved)" : header.approved_by)
        << (header.approver_role.empty() ? "" : ", " + header.approver_role)
        << (header.approved_on.empty() ? "" : ", " + header.approved_on) << ". Review due: "
        << (header.review_due.empty() ? "(none)" : header.review_due) << ".\n\n";
    out << "Risk: severity/likelihood (rating) on the DCB0129 5x5 matrix; 1 acceptable, 2 acceptable where further"
           " reduction is impractical, 3 undesirable, 4 mandatory elimination, 5 unacceptable.\n\n";
    // One line per hazard for the safety case; the details, with every test case, follow.
    out << "## Summary\n\n| hazard | initial risk | residual risk | controls | test cases | state |\n"
           "|---|---|---|---|---|---|\n";
    for (const auto& hazard : model.hazards) {
      auto rows = controls_of(model, hazard, *report);
      std::size_t cases = 0, failing = 0, untested = 0;
      std::string controls;
      for (const auto& row : rows) {
        cases += row.cases.size();
        untested += row.cases.empty() ? 1 : 0;
        for (const auto* result : row.cases) failing += result->passed() ? 0 : 1;
        controls += (controls.empty() ? "" : ", ") + control_summary(model, row);
      }
      std::string state = rows.empty() ? "NO CONTROL"
                          : failing > 0 ? "FAILING TESTS"
                          : untested > 0 ? "NOT TESTED"
                          : "controlled and tested";
      if (hazard.residual_risk.rating >= 3) state += "; residual risk needs the CSO's acceptance";
      out << "| " << hazard.id << " | " << risk_text(hazard.initial_risk) << " | " << risk_text(hazard.residual_risk)
          << " | " << (controls.empty() ? "(none)" : controls) << " | " << cases << " | " << state << " |\n";
    }
    out << "\n";
    for (const auto& hazard : model.hazards) {
      out << "## " << hazard.id << "\n\n"
          << "- Description: " << hazard.description << "\n"
          << "- Cause: " << hazard.cause << "\n"
          << "- Harm: " << hazard.harm << "\n"
          << "- Initial risk: " << risk_text(hazard.initial_risk) << "\n"
          << "- Residual risk: " << risk_text(hazard.residual_risk) << "\n"
          << "- Controls:\n";
      auto rows = controls_of(model, hazard, *report);
      if (rows.empty()) out << "  - (none)\n";
      for (const auto& row : rows) {
        complete = complete && !row.cases.empty();
        out << "  - " << row.kind << " `" << row.id << "`: " << row.cases.size() << " test case"
            << (row.cases.size() == 1 ? "" : "s") << (row.cases.empty() ? " (NOT TESTED)" : "") << "\n";
        // Failing cases always; passing ones up to a screenful (the CSV and JSON list every one).
        std::size_t shown = 0, passing_left_out = 0;
        for (const auto* result : row.cases) {
          complete = complete && result->passed();
          if (result->passed() && shown >= max_cases_listed) {
            ++passing_left_out;
            continue;
          }
          out << "    - " << (result->passed() ? "pass" : "FAIL") << " " << case_name(*result) << "\n";
          ++shown;
        }
        if (passing_left_out > 0) out << "    - and " << passing_left_out << " more passing (see --format csv)\n";
      }
      complete = complete && !rows.empty();
      out << "\n";
    }
    out << "Tests: " << report->passed << " passed, " << report->failed << " failed.\n";
  } else if (format == "csv") {
    out << "hazard,description,cause,harm,initial_risk,residual_risk,control_kind,control,test_case,result\n";
    for (const auto& hazard : model.hazards) {
      std::string head = csv_field(hazard.id) + "," + csv_field(hazard.description) + "," + csv_field(hazard.cause) +
                         "," + csv_field(hazard.harm) + "," + csv_field(risk_text(hazard.initial_risk)) + "," +
                         csv_field(risk_text(hazard.residual_risk)) + ",";
      auto rows = controls_of(model, hazard, *report);
      if (rows.empty()) out << head << ",,,\n";
      complete = complete && !rows.empty();
      for (const auto& row : rows) {
        if (row.cases.empty()) out << head << row.kind << "," << csv_field(row.id) << ",,untested\n";
        complete = complete && !row.cases.empty();
        for (const auto* result : row.cases) {
          out << head << row.kind << "," << csv_field(row.id) << "," << csv_field(case_name(*result)) << ","
              << (result->passed() ? "pass" : "fail") << "\n";
          complete = complete && result->passed();
        }
      }
    }
  } else {
    auto risk_json = [](const model::Risk& risk) {
      return "{\"severity\":" + json_quote(std::string(risk_severity_name(risk))) +
             ",\"likelihood\":" + json_quote(std::string(risk_likelihood_name(risk))) +
             ",\"rating\":" + std::to_string(risk.rating) + "}";
    };
    out << "{\"ruleset_hash\":" << json_quote(model.hash) << ",\"title\":" << json_quote(header.title)
        << ",\"version\":" << json_quote(header.version) << ",\"status\":" << json_quote(header.status)
        << ",\"approved_by\":" << json_quote(header.approved_by) << ",\"review_due\":" << json_quote(header.review_due)
        << ",\"hazards\":[";
    for (std::size_t h = 0; h < model.hazards.size(); ++h) {
      const auto& hazard = model.hazards[h];
      out << (h ? "," : "") << "{\"id\":" << json_quote(hazard.id) << ",\"description\":" << json_quote(hazard.description)
          << ",\"cause\":" << json_quote(hazard.cause) << ",\"harm\":" << json_quote(hazard.harm)
          << ",\"initial_risk\":" << risk_json(hazard.initial_risk)
          << ",\"residual_risk\":" << risk_json(hazard.residual_risk) << ",\"controls\":[";
      auto rows = controls_of(model, hazard, *report);
      complete = complete && !rows.empty();
      for (std::size_t r = 0; r < rows.size(); ++r) {
        out << (r ? "," : "") << "{\"kind\":\"" << rows[r].kind << "\",\"id\":" << json_quote(rows[r].id)
            << ",\"cases\":[";
        complete = complete && !rows[r].cases.empty();
        for (std::size_t c = 0; c < rows[r].cases.size(); ++c) {
          const auto* result = rows[r].cases[c];
          out << (c ? "," : "") << "{\"name\":" << json_quote(result->name)
              << ",\"file\":" << json_quote(result->location.file) << ",\"passed\":" << (result->passed() ? "true" : "false")
              << "}";
          complete = complete && result->passed();
        }
        out << "]}";
      }
      out << "]}";
    }
    out << "],\"tests_passed\":" << report->passed << ",\"tests_failed\":" << report->failed << "}\n";
  }
  io.out << out.str();
  // Exit 1 when the log is not traceable: no hazards, a hazard without controls, or a control with
  // no passing test.
  return complete ? exit_ok : exit_failure;
}

int run_sign(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, sign_spec, options, io, code)) return code;
  if (!options.has("--key")) {
    io.err << "triage sign: --key KEY.pem is required\n" << sign_spec.usage;
    return exit_failure;
  }
  std::string folder = options.get("--rules", "rules");
  // Only rules that may serve are worth signing: they load and the safety analysis passes.
  OpenedRuleset loaded;
  if (!open_servable("sign", folder, loaded, io)) return exit_failure;
  // A signature is what lets a ruleset serve under --require-approved, so a production ruleset is
  // signed only when it passes the release gate: hazards controlled and tested, tests passing,
  // residual risks acceptable, header complete and in date.
  if (loaded.ruleset->model->header.status == "production") {
    long today = 0;
    if (!today_option(options, "sign", io, today)) return exit_failure;
    Diagnostics gate = review_governance(*loaded.ruleset, folder, true, today);
    std::size_t errors = std::count_if(gate.begin(), gate.end(), [](const Diagnostic& d) { return d.severity == Severity::error; });
    if (errors > 0) {
      io.err << render_all(gate, *loaded.sources) << "triage sign: " << folder << " does not pass `triage check --release` ("
             << errors << (errors == 1 ? " error" : " errors") << "); not signed\n";
      return exit_failure;
    }
  }
  std::string signature, error;
  if (!sign_ruleset(*loaded.ruleset->model, options.get("--key", ""), signature, error)) {
    io.err << "triage sign: " << error << "\n";
    return exit_failure;
  }
  std::string out = options.get("--out", folder + "/" + signature_file_name);
  if (out == "-") {
    io.out << signature;
    return exit_ok;
  }
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << signature;
  file.close();
  if (!file) {
    io.err << "triage sign: cannot write " << out << "\n";
    return exit_failure;
  }
  const auto& header = loaded.ruleset->model->header;
  io.out << "signed " << loaded.ruleset->model->hash << " (" << (header.title.empty() ? folder : header.title) << " "
         << header.version << ", status " << (header.status.empty() ? "none" : header.status) << ") -> " << out << "\n";
  return exit_ok;
}

}  // namespace triage::cli

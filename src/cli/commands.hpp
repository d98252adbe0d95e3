#pragma once
// The subcommands of `triage`. Each takes its arguments (without the command word) and streams, and
// returns the process exit code; none calls exit, so tests can run them in process.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "ruletest/runner.hpp"

namespace triage {
struct OpenedRuleset;
}

namespace triage::cli {

struct Options;

struct Io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

// Exit codes shared by the subcommands.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_invalid_input = 2;

// Reads a file, or standard input when `path` is "-"; false when the file cannot be read.
// Why the last read_input failed, in words (from errno): "No such file or directory".
std::string read_error();

bool read_input(const std::string& path, std::istream& in, std::string& text);

// Opens the rules in `folder` (through `open_ruleset`, with the analysis cache) for a command that
// decides with them. When they may not serve, prints why on `io.err` and returns false.
bool open_servable(const std::string& command, const std::string& folder, OpenedRuleset& opened, Io io);

// Opens the rules in `folder` for `triage check`; a folder that cannot be read becomes an error
// diagnostic in `opened`.
void open_for_check(const std::string& folder, OpenedRuleset& opened);

int run_check(const std::vector<std::string>& args, Io io);
// The day review and effective dates are compared with: `--today YYYY-MM-DD` (for tests and
// rehearsals) or today in UTC, as days since 1970-01-01. Prints why and returns false when the
// option is not a date.
bool today_option(const Options& options, const std::string& command, Io io, long& today);
// Runs every `.cases` file in RULES/tests against the ruleset; nothing (and `error`) when there are none.
std::optional<TestReport> run_folder_cases(const CompiledRuleset& ruleset, const std::string& rules, std::string& error);
// The governance findings of `triage check` on a loaded ruleset read from `folder`: unused sources,
// red flags without a hazard, hazards without controls; with `release` the deployment gate too,
// tracing hazard controls to the `.cases` tests in FOLDER/tests. `today` is days since 1970-01-01.
Diagnostics review_governance(const CompiledRuleset& ruleset, const std::string& folder, bool release, long today);
// `triage hazards [--rules DIR] [--format md|csv|json]`: the hazard log with test traceability.
int run_hazards(const std::vector<std::string>& args, Io io);
// `triage sign [--rules DIR] --key KEY.pem [--out FILE]`: a detached Ed25519 signature of the ruleset.
int run_sign(const std::vector<std::string>& args, Io io);
int run_eval(const std::vector<std::string>& args, Io io);
int run_schema(const std::vector<std::string>& args, Io io);
// Runs the gRPC server until SIGTERM/SIGINT.
int run_serve(const std::vector<std::string>& args, Io io);
// Sends one intake to a running server and prints the decision like `eval`.
int run_call(const std::vector<std::string>& args, Io io);
// Formats rule files: prints them, rewrites them (-w) or lists those not formatted (--check).
int run_fmt(const std::vector<std::string>& args, Io io);
// Runs clinicians' rule tests (*.cases); exit 1 when a case fails.
int run_test(const std::vector<std::string>& args, Io io);
// Asks a running server to reload its rules (ReloadRules); exit 1 when the candidate is refused.
int run_reload(const std::vector<std::string>& args, Io io);
// The auditor's tools: verify, replay (determinism or impact analysis) and export.
int run_audit(const std::vector<std::string>& args, Io io);
// Runs the language server for rule authors on io.in/io.out until the client sends `exit`.
int run_lsp(const std::vector<std::string>& args, Io io);
// Sends load to a running server and prints throughput and latency as JSON.
int run_loadgen(const std::vector<std::string>& args, Io io);

}  // namespace triage::cli

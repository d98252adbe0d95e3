// `triage`: one binary with subcommands, like `opa`.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "serve/build_info.hpp"

namespace {

// The commands and what they do; each command's options are in its own usage (`--help`), written
// once beside its option list.
const char* usage =
    "usage: triage <command> [options]\n"
    "\n"
    "commands:\n"
    "  check    syntax, types and the safety analysis with witnesses; --release: the deployment gate\n"
    "  hazards  the hazard log: hazard -> controls -> the test cases that exercise them\n"
    "  sign     Ed25519 signature of the ruleset hash and header (DIR/ruleset.sig)\n"
    "  eval     decide one intake (or one per line of a .jsonl file), print the decision as JSON\n"
    "  fmt      canonical layout of rule files, comments kept\n"
    "  test     run the clinicians' rule tests (*.cases)\n"
    "  lsp      language server for rule editors (diagnostics, hover, definition, formatting) on stdio\n"
    "  schema   print the questionnaire a kiosk renders, as JSON\n"
    "  serve    run the gRPC service until SIGTERM/SIGINT (--require-approved: signed, approved rules only)\n"
    "  call     send one intake to a server, print the decision\n"
    "  reload   ask a server to re-read and check its rules\n"
    "  audit    verify, replay or export the audit log; ship it to PostgreSQL, or check it there (--pg)\n"
    "  loadgen  load a server; report rps and latency as JSON\n"
    "\n"
    "`triage <command> --help` prints that command's options. --rules defaults to `rules`.\n"
    "`triage --version` prints the version, git commit, build type, compiler and library versions.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(usage, args.empty() ? stderr : stdout);
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::fputs(triage::version_text().c_str(), stdout);
    return 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  triage::cli::Io io{std::cin, std::cout, std::cerr};
  if (command == "check") return triage::cli::run_check(args, io);
  if (command == "hazards") return triage::cli::run_hazards(args, io);
  if (command == "sign") return triage::cli::run_sign(args, io);
  if (command == "eval") return triage::cli::run_eval(args, io);
  if (command == "schema") return triage::cli::run_schema(args, io);
  if (command == "serve") return triage::cli::run_serve(args, io);
  if (command == "call") return triage::cli::run_call(args, io);
  if (command == "loadgen") return triage::cli::run_loadgen(args, io);
  if (command == "audit") return triage::cli::run_audit(args, io);
  if (command == "reload") return triage::cli::run_reload(args, io);
  if (command == "test") return triage::cli::run_test(args, io);
  if (command == "fmt") return triage::cli::run_fmt(args, io);
  if (command == "lsp") return triage::cli::run_lsp(args, io);
  std::cerr << "triage: unknown command `" << command << "`\n\n" << usage;
  return 1;
}

// `triage`: one binary with subcommands, like `opa`.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace {

const char* usage =
    "usage: triage <command> [options]\n"
    "\n"
    "commands:\n"
    "  check  [--rules DIR] [--strict] [--format text|json]\n"
    "                                                syntax, types and the safety analysis with witnesses;\n"
    "                                                exit 1 on errors (and warnings with --strict)\n"
    "  eval   [--rules DIR] --intake FILE|-          decide one intake and print the decision as JSON\n"
    "  fmt    [-w | --check] FILES…                  canonical layout of rule files, comments kept\n"
    "  test   [--rules DIR] [--coverage] [--format text|json] [FILES…]\n"
    "                                                run the rule tests in DIR/tests/*.cases\n"
    "  schema [--rules DIR]                          print the questionnaire a kiosk renders, as JSON\n"
    "  serve  [--rules DIR] [--listen ADDR] [--audit-db PATH] [--config FILE]\n"
    "         [--tls-cert F --tls-key F [--tls-client-ca F]] [--log-format text|json]\n"
    "                                                run the gRPC service until SIGTERM/SIGINT\n"
    "  call   --server ADDR --intake FILE|- [--tls-ca F] [--client-id ID]\n"
    "                                                send one intake to a server, print the decision\n"
    "  reload --server ADDR [--tls-ca F --tls-cert F --tls-key F]\n"
    "                                                ask a server to re-read and check its rules\n"
    "  audit  verify|replay|export --db PATH …       check, re-decide or export the audit log\n"
    "  loadgen --target ADDR [--concurrency N] [--duration S] [--rate R] [--intakes DIR]\n"
    "                                                load a server; report rps and latency as JSON\n"
    "\n"
    "--rules defaults to `rules`.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(usage, args.empty() ? stderr : stdout);
    return args.empty() ? 1 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  triage::cli::Io io{std::cin, std::cout, std::cerr};
  if (command == "check") return triage::cli::run_check(args, io);
  if (command == "eval") return triage::cli::run_eval(args, io);
  if (command == "schema") return triage::cli::run_schema(args, io);
  if (command == "serve") return triage::cli::run_serve(args, io);
  if (command == "call") return triage::cli::run_call(args, io);
  if (command == "loadgen") return triage::cli::run_loadgen(args, io);
  if (command == "audit") return triage::cli::run_audit(args, io);
  if (command == "reload") return triage::cli::run_reload(args, io);
  if (command == "test") return triage::cli::run_test(args, io);
  if (command == "fmt") return triage::cli::run_fmt(args, io);
  std::cerr << "triage: unknown command `" << command << "`\n\n" << usage;
  return 1;
}

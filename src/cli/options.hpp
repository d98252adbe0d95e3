#pragma once
// The one option parser of the `triage` subcommands. Each command declares its usage, its flags
// (`--strict`, `-w`) and its valued options (`--rules DIR`, written `--rules DIR` or
// `--rules=DIR`); `--help` (or `-h`) anywhere before `--` asks for the usage.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace triage::cli {

struct Io;

// What a command accepts.
struct CommandSpec {
  std::string name;                 // as in messages: "eval", "audit replay"
  std::string usage;                // printed by --help and after a mistake
  std::vector<std::string> flags;   // options without a value
  std::vector<std::string> valued;  // options that take a value
  bool positionals = false;         // whether bare arguments (files) are allowed
};

struct Options {
  std::map<std::string, std::string> values;                // valued options by name ("--rules")
  std::vector<std::pair<std::string, std::string>> ordered;  // the same, in the order given
  std::set<std::string> flags;                              // the flags given
  std::vector<std::string> positionals;                     // bare arguments, in order
  bool help = false;                                        // --help or -h was given
  std::string error;  // set when an option is unknown, lacks its value or has one it must not

  std::string get(const std::string& name, const std::string& fallback) const;
  bool has(const std::string& name) const { return values.count(name) != 0; }
  bool flag(const std::string& name) const { return flags.count(name) != 0; }
};

// Parses `args` (the words after the command) against `spec`. A lone "-" is a positional (stdin)
// or a value; "--" ends the options.
Options parse_options(const std::vector<std::string>& args, const CommandSpec& spec);

// Parses `args`; on --help prints the usage on `io.out` and sets `exit_code` 0; on a mistake prints
// it and the usage on `io.err` and sets `exit_code` 1. True only when the command should run.
bool parse_command_line(const std::vector<std::string>& args, const CommandSpec& spec, Options& options, Io io,
                        int& exit_code);

}  // namespace triage::cli

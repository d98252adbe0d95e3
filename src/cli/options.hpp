#pragma once
// `--name value` (or `--name=value`) options of the subcommands; every option takes a value.
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace triage::cli {

struct Options {
  std::map<std::string, std::string> values;
  std::string error;  // set when an option is unknown or has no value

  std::string get(const std::string& name, const std::string& fallback) const;
  bool has(const std::string& name) const { return values.count(name) != 0; }
};

Options parse_options(const std::vector<std::string>& args, std::initializer_list<const char*> allowed);

}  // namespace triage::cli

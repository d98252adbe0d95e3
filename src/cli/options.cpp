#include "cli/options.hpp"

#include <algorithm>
#include <ostream>

#include "cli/commands.hpp"

namespace triage::cli {
namespace {

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Old spellings kept for one release, hidden from the usage: one spelling per concept across the
// commands (`--server` for a service's address, `--replica` for a replica's id).
constexpr std::pair<const char*, const char*> hidden_aliases[] = {
    {"--target", "--server"},      // loadgen, before version 3
    {"--replica-id", "--replica"}, // audit ship, before version 3
};

// `name`, or the canonical spelling it is an old alias of when `spec` takes that one.
std::string canonical(const std::string& name, const CommandSpec& spec) {
  if (listed(spec.flags, name) || listed(spec.valued, name)) return name;
  for (const auto& [alias, current] : hidden_aliases) {
    if (name == alias && (listed(spec.flags, current) || listed(spec.valued, current))) return current;
  }
  return name;
}

}  // namespace

std::string Options::get(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

Options parse_options(const std::vector<std::string>& args, const CommandSpec& spec) {
  Options options;
  // --help wins wherever it stands, even after a mistake.
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      return options;
    }
  }
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg.size() < 2 || arg[0] != '-') {
      if (!spec.positionals) {
        options.error = "unexpected argument " + arg;
        return options;
      }
      options.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    auto equals = arg.find('=');
    std::string name = canonical(arg.substr(0, equals), spec);
    if (listed(spec.flags, name)) {
      if (equals != std::string::npos) {
        options.error = "option " + name + " takes no value";
        return options;
      }
      options.flags.insert(name);
    } else if (listed(spec.valued, name)) {
      std::string value;
      if (equals != std::string::npos) {
        value = arg.substr(equals + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        options.error = "option " + name + " needs a value";
        return options;
      }
      options.values[name] = value;
      options.ordered.emplace_back(name, value);
    } else {
      options.error = "unknown option " + name;
      return options;
    }
  }
  return options;
}

bool parse_command_line(const std::vector<std::string>& args, const CommandSpec& spec, Options& options, Io io,
                        int& exit_code) {
  options = parse_options(args, spec);
  if (options.help) {
    io.out << spec.usage;
    exit_code = exit_ok;
    return false;
  }
  if (!options.error.empty()) {
    io.err << "triage " << spec.name << ": " << options.error << "\n" << spec.usage;
    exit_code = exit_failure;
    return false;
  }
  return true;
}

}  // namespace triage::cli

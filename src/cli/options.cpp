#include "cli/options.hpp"

#include "util/option_pairs.hpp"

namespace triage::cli {

std::string Options::get(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

Options parse_options(const std::vector<std::string>& args, std::initializer_list<const char*> allowed) {
  Options options;
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!option_pairs(args, pairs, options.error)) return options;
  for (const auto& [name, value] : pairs) {
    bool known = false;
    for (const char* candidate : allowed) known = known || name == candidate;
    if (!known) {
      options.error = "unknown option " + name;
      return options;
    }
    options.values[name] = value;
  }
  return options;
}

}  // namespace triage::cli

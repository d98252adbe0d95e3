#include "cli/options.hpp"

namespace triage::cli {

std::string Options::get(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

Options parse_options(const std::vector<std::string>& args, std::initializer_list<const char*> allowed) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    auto equals = name.find('=');
    if (equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      options.error = "option " + name + " needs a value";
      return options;
    }
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

#include "util/option_pairs.hpp"

namespace triage {

bool option_pairs(const std::vector<std::string>& args, std::vector<std::pair<std::string, std::string>>& pairs,
                  std::string& error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (name.rfind("--", 0) != 0) {
      error = "unexpected argument " + name;
      return false;
    }
    std::string value;
    auto equals = name.find('=');
    if (equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error = "option " + name + " needs a value";
      return false;
    }
    pairs.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

}  // namespace triage

#pragma once
// Command-line options as (name, value) pairs: `--name value` or `--name=value`.
#include <string>
#include <utility>
#include <vector>

namespace triage {

// False with `error` when an argument is not an option or an option has no value.
bool option_pairs(const std::vector<std::string>& args, std::vector<std::pair<std::string, std::string>>& pairs,
                  std::string& error);

}  // namespace triage

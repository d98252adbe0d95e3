#include "serve/admin.hpp"

#include <algorithm>

namespace triage {

std::vector<std::string> subject_names(const std::string& subject) {
  std::vector<std::string> names{subject};
  // The last `CN=` that starts an attribute (after `,`, `/` or a space), up to the next `,` or `/`.
  std::string common_name;
  for (std::size_t at = subject.find("CN="); at != std::string::npos; at = subject.find("CN=", at + 1)) {
    if (at != 0 && subject[at - 1] != ',' && subject[at - 1] != '/' && subject[at - 1] != ' ') continue;
    std::size_t end = subject.find_first_of(",/", at + 3);
    common_name = subject.substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
  }
  if (!common_name.empty()) names.push_back(common_name);
  return names;
}

bool is_admin(const std::vector<std::string>& subject_names, const std::vector<std::string>& admin_subjects) {
  return std::any_of(subject_names.begin(), subject_names.end(), [&](const std::string& name) {
    return !name.empty() && std::find(admin_subjects.begin(), admin_subjects.end(), name) != admin_subjects.end();
  });
}

}  // namespace triage

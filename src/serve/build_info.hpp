#pragma once
// What this binary is: version, git commit (at configure time), build type, compiler and the
// versions of the libraries it was built with. Printed by `triage --version`, served as the
// triage_build_info metric.
#include <string>
#include <utility>
#include <vector>

#include "metrics/registry.hpp"

namespace triage {

struct BuildInfo {
  std::string version;     // the project version (CMakeLists.txt)
  std::string commit;      // `git rev-parse --short=12 HEAD` when configured, "unknown" outside git
  std::string build_type;  // CMAKE_BUILD_TYPE
  std::string compiler;    // e.g. "GNU 12.2.0"
  std::vector<std::pair<std::string, std::string>> libraries;  // name, version
};

// This binary's build information. Thread-safe.
const BuildInfo& build_info();

// `triage --version`: one `name version` line each, the version first.
std::string version_text();

// Registers triage_build_info{version, commit, build_type, compiler, <library>...} = 1.
void add_build_info(metrics::Registry& registry);

}  // namespace triage

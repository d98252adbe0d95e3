#include "serve/build_info.hpp"

#include <boost/version.hpp>
#include <google/protobuf/stubs/common.h>
#include <grpcpp/version_info.h>
#include <openssl/crypto.h>
#include <spdlog/version.h>
#include <sqlite3.h>

#ifndef TRIAGE_VERSION
#define TRIAGE_VERSION "unknown"
#endif
#ifndef TRIAGE_GIT_COMMIT
#define TRIAGE_GIT_COMMIT "unknown"
#endif
#ifndef TRIAGE_BUILD_TYPE
#define TRIAGE_BUILD_TYPE "unknown"
#endif
#ifndef TRIAGE_COMPILER
#define TRIAGE_COMPILER "unknown"
#endif

namespace triage {

const BuildInfo& build_info() {
  static const BuildInfo info = [] {
    BuildInfo built;
    built.version = TRIAGE_VERSION;
    built.commit = TRIAGE_GIT_COMMIT;
    built.build_type = TRIAGE_BUILD_TYPE;
    built.compiler = TRIAGE_COMPILER;
    std::string boost = std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
                        "." + std::to_string(BOOST_VERSION % 100);
    built.libraries = {
        {"grpc", GRPC_CPP_VERSION_STRING},
        {"protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)},
        {"sqlite", sqlite3_libversion()},
        {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)},
        {"boost", boost},
        {"spdlog", std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                       std::to_string(SPDLOG_VER_PATCH)},
    };
    return built;
  }();
  return info;
}

std::string version_text() {
  const BuildInfo& info = build_info();
  std::string text = "triage " + info.version + "\ncommit " + info.commit + "\nbuild_type " + info.build_type +
                     "\ncompiler " + info.compiler + "\n";
  for (const auto& [name, version] : info.libraries) text += name + " " + version + "\n";
  return text;
}

void add_build_info(metrics::Registry& registry) {
  const BuildInfo& info = build_info();
  metrics::Labels labels{{"version", info.version},
                         {"commit", info.commit},
                         {"build_type", info.build_type},
                         {"compiler", info.compiler}};
  for (const auto& [name, version] : info.libraries) labels.emplace_back(name, version);
  registry.callback("triage_build_info", "Always 1; the labels say which build this is.", metrics::Kind::gauge,
                    [labels] { return std::vector<metrics::Sample>{{labels, 1}}; });
}

}  // namespace triage

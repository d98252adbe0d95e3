#include "support.hpp"

#include <algorithm>
#include <cstdlib>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "diag/render.hpp"
#include "sign/signature.hpp"

namespace triage::test {

std::string source_path(const std::string& relative) { return std::string(TRIAGE_SOURCE_DIR) + "/" + relative; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const CompiledRuleset& shipped() {
  static LoadResult loaded = load_ruleset(source_path("rules"));
  INFO(render_all(loaded.diagnostics, *loaded.sources));
  REQUIRE(loaded.ruleset != nullptr);
  return *loaded.ruleset;
}

ShippedRulesCopy::ShippedRulesCopy(const std::string& name)
    : folder(std::filesystem::temp_directory_path() / ("triage-" + name + "-" + new_decision_id())),
      rules(folder / "rules") {
  std::filesystem::create_directories(rules);
  for (const auto& [file, text] : shipped_rule_files()) std::ofstream(rules / file, std::ios::binary) << text;
}

ShippedRulesCopy::~ShippedRulesCopy() {
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
}

void ShippedRulesCopy::edit(const std::string& file, const std::string& from, const std::string& to) const {
  std::string text = read_file((rules / file).string());
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  std::ofstream(rules / file, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::pair<std::string, std::string>> shipped_rule_files() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("rules"))) {
    if (entry.path().extension() == ".rules") {
      files.emplace_back(entry.path().filename().string(), read_file(entry.path().string()));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::shared_ptr<const CompiledRuleset> load_texts(std::vector<std::pair<std::string, std::string>> files) {
  LoadResult loaded = load_ruleset_from_texts(std::move(files));
  INFO(render_all(loaded.diagnostics, *loaded.sources));
  REQUIRE(loaded.ruleset != nullptr);
  return loaded.ruleset;
}

Answers answers_from_json(const CompiledRuleset& ruleset, const std::string& json) {
  std::vector<RawAnswer> raw;
  std::string error;
  INFO(json);
  REQUIRE(parse_intake_json(json, raw, error));
  IntakeResult intake = validate_answers(ruleset, raw);
  for (const auto& refused : intake.errors) UNSCOPED_INFO(refused.message);
  REQUIRE(intake.errors.empty());
  return intake.answers;
}

v1::Decision decide(const CompiledRuleset& ruleset, const std::string& json) {
  return to_decision_proto(ruleset, evaluate(ruleset, answers_from_json(ruleset, json)), "test", 0, "");
}

double time_budget(double release_seconds) {
  const char* scale = std::getenv("TRIAGE_TEST_TIME_SCALE");
  double factor = scale != nullptr ? std::atof(scale) : 1.0;
  return release_seconds * (factor > 0 ? factor : 1.0);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int property_cases(int normal) {
  const char* count = std::getenv("TRIAGE_PROPERTY_CASES");
  int value = count != nullptr ? std::atoi(count) : 0;
  return value > 0 ? std::min(value, normal) : normal;
}

SigningKey make_signing_key(const std::filesystem::path& folder, const std::string& name) {
  SigningKey key{(folder / (name + "-private.pem")).string(), (folder / ("trusted-" + name)).string()};
  std::filesystem::create_directories(key.trusted_dir);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"),
                                                           EVP_PKEY_free);
  REQUIRE(pair != nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free)> secret(BIO_new_file(key.private_file.c_str(), "w"), BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(secret.get(), pair.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  std::string public_file = key.trusted_dir + "/" + name + ".pem";
  std::unique_ptr<BIO, decltype(&BIO_free)> open(BIO_new_file(public_file.c_str(), "w"), BIO_free);
  REQUIRE(PEM_write_bio_PUBKEY(open.get(), pair.get()) == 1);
  return key;
}

CheckpointPolicy checkpoints_with(const SigningKey& key, std::int64_t every_records, std::chrono::milliseconds every) {
  CheckpointPolicy policy;
  std::string file = key.private_file;
  policy.sign = [file](const std::string& statement, std::string& key_id, std::string& signature,
                       std::string& error) {
    Signature made;
    if (!sign_bytes(statement, file, made, error)) return false;
    key_id = made.key_id;
    signature = made.signature;
    return true;
  };
  policy.every_records = every_records;
  policy.every = every;
  return policy;
}

}  // namespace triage::test

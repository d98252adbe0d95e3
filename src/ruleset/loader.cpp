#include "ruleset/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "check/checker.hpp"
#include "check/readability.hpp"
#include "diag/codes.hpp"
#include "parse/parse.hpp"
#include "util/files.hpp"
#include "util/sha256.hpp"

namespace triage {

std::string ruleset_hash(const std::vector<std::pair<std::string, std::string>>& files) {
  Sha256 hasher;
  for (const auto& [name, text] : files) {
    hasher.update(name);
    hasher.update("\n" + std::to_string(text.size()) + "\n");
    hasher.update(text);
  }
  return "sha256:" + hasher.hex_digest();
}

LoadResult load_ruleset_from_texts(std::vector<std::pair<std::string, std::string>> files, std::string tests_hash) {
  std::sort(files.begin(), files.end());
  LoadResult result;
  result.sources = std::make_shared<SourceSet>();
  std::vector<ParsedFile> parsed;
  for (const auto& [name, text] : files) {
    const SourceFile& source = result.sources->add(name, text);
    ParseResult parse = parse_rules(source);
    result.diagnostics.insert(result.diagnostics.end(), parse.diagnostics.begin(), parse.diagnostics.end());
    parsed.push_back({&source, std::move(parse.file)});
  }
  // Semantic checks on a file that did not parse would mostly echo its syntax errors.
  if (has_errors(result.diagnostics)) {
    result.parsed = std::move(parsed);
    return result;
  }
  result.advisories = readability_warnings(parsed);
  CheckResult checked = check_rules(parsed);
  result.parsed = std::move(parsed);
  result.diagnostics = std::move(checked.diagnostics);
  if (has_errors(result.diagnostics)) return result;
  for (const auto& [name, text] : files) checked.ruleset.files.push_back({name, text.size()});
  checked.ruleset.hash = ruleset_hash(files);
  checked.ruleset.tests_hash = std::move(tests_hash);
  result.ruleset = compile(std::make_shared<const model::Ruleset>(std::move(checked.ruleset)));
  return result;
}

std::vector<std::filesystem::path> rule_file_paths(const std::string& folder, std::error_code& error) {
  namespace fs = std::filesystem;
  std::vector<fs::path> paths;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    if (it->path().extension() == ".rules" && it->is_regular_file()) paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

bool read_rules_folder(const std::string& folder, std::vector<std::pair<std::string, std::string>>& files,
                       std::string& error, std::string& hint) {
  namespace fs = std::filesystem;
  std::error_code listing;
  auto fail = [&](std::string message, std::string advice) {
    error = std::move(message);
    hint = std::move(advice);
    return false;
  };
  if (!fs::is_directory(folder, listing)) {
    return fail("the rules folder `" + folder + "` does not exist or is not a folder",
                "pass the folder that holds the *.rules files with --rules");
  }
  std::vector<fs::path> paths = rule_file_paths(folder, listing);
  if (listing) return fail("cannot list the rules folder `" + folder + "`: " + listing.message(), {});
  for (const auto& path : paths) {
    std::string text;
    if (!read_text_file(path.string(), text)) return fail("cannot read `" + path.string() + "`", "check the file's permissions");
    files.emplace_back(path.filename().string(), std::move(text));
  }
  if (files.empty()) return fail("the rules folder `" + folder + "` has no *.rules files", {});
  return true;
}

LoadResult load_ruleset(const std::string& folder) {
  std::vector<std::pair<std::string, std::string>> files;
  std::string error, hint;
  if (!read_rules_folder(folder, files, error, hint)) {
    LoadResult result;
    result.sources = std::make_shared<SourceSet>();
    result.diagnostics.push_back({std::string(code::rules_folder), Severity::error, {folder, 0, 0}, error, hint});
    return result;
  }
  return load_ruleset_from_texts(std::move(files), rule_tests_hash(folder));
}

std::string rule_tests_hash(const std::string& folder) {
  namespace fs = std::filesystem;
  std::error_code error;
  std::vector<fs::path> paths;
  for (fs::directory_iterator it(fs::path(folder) / "tests", error), end; !error && it != end; it.increment(error)) {
    if (it->path().extension() == ".cases" && it->is_regular_file()) paths.push_back(it->path());
  }
  if (paths.empty()) return {};
  std::sort(paths.begin(), paths.end());
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : paths) {
    std::string text;
    // An unreadable test hashes as a marker, so the signature fails rather than skips it.
    if (!read_text_file(path.string(), text)) text = "\n(unreadable)\n";
    files.emplace_back("tests/" + path.filename().string(), std::move(text));
  }
  return ruleset_hash(files);
}

}  // namespace triage

#include "ruleset/open.hpp"

#include "ruleset/analysis_cache.hpp"
#include "ruleset/loader.hpp"

namespace triage {

bool OpenedRuleset::servable() const {
  return ruleset != nullptr && !has_errors(analysis_errors(analysis)) && approval.refusals.empty();
}

Diagnostics OpenedRuleset::refusals() const {
  if (!ruleset) {
    Diagnostics errors;
    for (const auto& d : diagnostics) {
      if (d.severity == Severity::error) errors.push_back(d);
    }
    return errors;
  }
  Diagnostics refusals = analysis_errors(analysis);
  refusals.insert(refusals.end(), approval.refusals.begin(), approval.refusals.end());
  return refusals;
}

std::vector<std::pair<std::string, std::string>> OpenedRuleset::files() const {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& source : sources->files()) files.emplace_back(source->name(), source->text());
  return files;
}

bool open_ruleset(const std::string& folder, OpenedRuleset& opened, std::string& error, const AnalysisCache* cache,
                  const ApprovalPolicy& policy) {
  std::vector<std::pair<std::string, std::string>> files;
  std::string hint;
  if (!read_rules_folder(folder, files, error, hint)) {
    if (!hint.empty()) error += " (" + hint + ")";
    return false;
  }
  LoadResult loaded = load_ruleset_from_texts(std::move(files), rule_tests_hash(folder));
  opened = OpenedRuleset{};
  opened.ruleset = loaded.ruleset;
  opened.sources = loaded.sources;
  opened.diagnostics = std::move(loaded.diagnostics);
  opened.advisories = std::move(loaded.advisories);
  if (!opened.ruleset) return true;
  opened.approval = judge_approval(*opened.ruleset->model, folder, policy);
  const std::string& hash = opened.ruleset->model->hash;
  if (cache && cache->load(hash, opened.analysis)) return true;
  opened.analysis = analyze(*opened.ruleset);
  if (cache) cache->store(hash, opened.analysis);
  return true;
}

}  // namespace triage

#pragma once
// The one place that decides whether a ruleset may serve. Every command and the server open rules
// through `open_ruleset` and only choose how to print the answer. Like cel-cpp's Check(): problems
// in the rules come back as values (diagnostics and findings), a folder that cannot be read as a
// failed status.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "analyze/analyze.hpp"
#include "compile/compiled.hpp"
#include "diag/diagnostic.hpp"
#include "diag/source_set.hpp"
#include "ruleset/approval.hpp"

namespace triage {

class AnalysisCache;

// A ruleset read from its folder, checked, compiled and analysed.
struct OpenedRuleset {
  std::shared_ptr<const CompiledRuleset> ruleset;  // null when parsing or checking found errors
  std::shared_ptr<SourceSet> sources;              // the files as read, for rendering and storing
  Diagnostics diagnostics;                         // from parsing and checking
  Diagnostics advisories;                          // warnings for authors that do not stop serving
  AnalysisReport analysis;                         // the safety analysis; empty when `ruleset` is null
  Approval approval;                               // the signature and, when required, the approval

  // True when the rules loaded, the safety analysis found no error and the approval policy (if
  // any) has no refusal: the rules may decide.
  bool servable() const;
  // Why the rules may not serve: the load errors, else the analysis errors and the approval
  // refusals; empty when servable.
  Diagnostics refusals() const;
  // (file name, text) of every rule file, in the order they were read.
  std::vector<std::pair<std::string, std::string>> files() const;
};

// Reads `folder`, then parses, checks, compiles and analyses it (the analysis comes from `cache`
// when it holds this ruleset's) and judges its signature and approval under `policy`. False with
// `error` when the folder cannot be read; otherwise true, with every problem in the rules in
// `opened`.
bool open_ruleset(const std::string& folder, OpenedRuleset& opened, std::string& error,
                  const AnalysisCache* cache = nullptr, const ApprovalPolicy& policy = {});

}  // namespace triage

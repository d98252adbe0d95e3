#pragma once
// The safety analysis of a ruleset, kept on disk by ruleset hash so that commands run again and
// again on the same rules (a script calling `triage eval` per intake) do not redo it.
//
// Entries live in one file per ruleset under the cache folder, written to a private temporary
// file and renamed into place, so concurrent writers never leave a torn entry. An entry is used
// only when the folder and file belong to this user and nobody else may write them, the file is
// well formed, it names this ruleset and this build of the analysis (`salt`), and its checksum
// matches; anything else is ignored and the analysis is run again.
#include <string>

#include "analyze/analyze.hpp"

namespace triage {

class AnalysisCache {
 public:
  // A cache in `folder` (created owner-only when first written). `salt` names the build of the
  // analysis: entries written with another salt are never used.
  AnalysisCache(std::string folder, std::string salt);

  // The default folder: $XDG_CACHE_HOME/triage, else $HOME/.cache/triage; empty when neither is set.
  static std::string default_folder();

  // True with `report` when a trustworthy entry for `ruleset_hash` exists.
  bool load(const std::string& ruleset_hash, AnalysisReport& report) const;
  // Stores `report` for `ruleset_hash`; a failure to write only means the next run analyses again.
  void store(const std::string& ruleset_hash, const AnalysisReport& report) const;

 private:
  std::string path_for(const std::string& ruleset_hash) const;
  std::string folder_;
  std::string salt_;
};

}  // namespace triage

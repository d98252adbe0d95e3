#pragma once
// The document store and what the engine says about a rules folder. Rule files refer to each other,
// so a change to one file is checked with the whole folder: every *.rules file on disk, with the
// editor's unsaved buffers in place of the saved text (and open files not yet saved added).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "diag/diagnostic.hpp"
#include "lsp/index.hpp"
#include "ruleset/loader.hpp"

namespace triage::lsp {

// A file the editor has open: its text as the editor holds it.
struct Document {
  std::string uri;
  std::string path;  // local path; empty when the URI is not a file URI
  std::string text;
  long long version = 0;
};

// One reading of a rules folder: parsed, checked, compiled (when it checks) and indexed. Immutable
// once built; the analysis runs later (it takes about a second on the shipped rules).
struct FolderSnapshot {
  std::string folder;                         // absolute path of the rules folder
  LoadResult loaded;                          // sources, syntax trees, diagnostics, advisories, ruleset
  Diagnostics governance;                     // `triage check`'s governance warnings (without --release)
  std::unique_ptr<SymbolIndex> index;         // over loaded.parsed
  std::map<std::string, std::string> paths;   // file name (as in the diagnostics) -> absolute path

  // The text of `file`, or nullptr when the folder has no such rule file.
  const SourceFile* source(const std::string& file) const;
  // Every diagnostic of parsing, checking, readability and governance, by file name.
  std::map<std::string, Diagnostics> diagnostics_by_file() const;
};

// The rules folder a document belongs to: the folder of a *.rules file, the folder above the
// `tests` folder of a *.cases file; empty for other files.
std::string rules_folder_of(const std::string& path);

// Reads `folder` with the open `documents` over its files and runs the engine's checks.
std::shared_ptr<const FolderSnapshot> read_folder(const std::string& folder, const std::map<std::string, Document>& documents);

// Open documents by URI, and the latest snapshot of each rules folder they belong to.
class Workspace {
 public:
  // Opens or replaces a document; returns its rules folder (empty when it belongs to none).
  std::string open(const std::string& uri, std::string text, long long version);
  // Forgets a document (the folder is read from disk again); returns its rules folder.
  std::string close(const std::string& uri);
  // The open document, or nullptr.
  const Document* document(const std::string& uri) const;
  // Rereads `folder` and keeps the result as its snapshot.
  std::shared_ptr<const FolderSnapshot> refresh(const std::string& folder);
  // The folder's latest snapshot, read now if there is none.
  std::shared_ptr<const FolderSnapshot> snapshot(const std::string& folder);
  // Every folder read so far.
  std::vector<std::string> folders() const;
  const std::map<std::string, Document>& documents() const { return documents_; }

 private:
  std::map<std::string, Document> documents_;
  std::map<std::string, std::shared_ptr<const FolderSnapshot>> snapshots_;
};

}  // namespace triage::lsp

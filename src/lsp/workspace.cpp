#include "lsp/workspace.hpp"

#include <filesystem>

#include "check/governance.hpp"
#include "lsp/uri.hpp"
#include "util/files.hpp"

namespace triage::lsp {

namespace fs = std::filesystem;

const SourceFile* FolderSnapshot::source(const std::string& file) const {
  return loaded.sources ? loaded.sources->find(file) : nullptr;
}

std::map<std::string, Diagnostics> FolderSnapshot::diagnostics_by_file() const {
  std::map<std::string, Diagnostics> by_file;
  for (const auto& [name, path] : paths) by_file[name];
  for (const auto* list : {&loaded.diagnostics, &loaded.advisories, &governance}) {
    for (const auto& d : *list) by_file[d.location.file].push_back(d);
  }
  return by_file;
}

std::string rules_folder_of(const std::string& path) {
  if (path.empty()) return {};
  fs::path p = fs::path(path).lexically_normal();
  if (p.extension() == ".rules") return p.parent_path().string();
  if (p.extension() == ".cases" && p.parent_path().filename() == "tests") return p.parent_path().parent_path().string();
  return {};
}

std::shared_ptr<const FolderSnapshot> read_folder(const std::string& folder, const std::map<std::string, Document>& documents) {
  auto snapshot = std::make_shared<FolderSnapshot>();
  snapshot->folder = folder;
  std::map<std::string, std::string> texts;  // file name -> text
  std::error_code error;
  for (const auto& path : rule_file_paths(folder, error)) {
    std::string text;
    if (!read_text_file(path.string(), text)) continue;  // unreadable: as if it were not there
    texts[path.filename().string()] = std::move(text);
    snapshot->paths[path.filename().string()] = path.string();
  }
  // Unsaved buffers win over the saved files, and new files not yet saved count too.
  for (const auto& [uri, document] : documents) {
    fs::path path(document.path);
    if (path.extension() != ".rules" || rules_folder_of(document.path) != folder) continue;
    texts[path.filename().string()] = document.text;
    snapshot->paths[path.filename().string()] = path.lexically_normal().string();
  }
  snapshot->loaded = load_ruleset_from_texts({texts.begin(), texts.end()});
  if (snapshot->loaded.ruleset) {
    GovernanceOptions options;
    options.today = today_utc();
    snapshot->governance = governance_review(*snapshot->loaded.ruleset->model, options);
  }
  snapshot->index = std::make_unique<SymbolIndex>(snapshot->loaded.parsed);
  return snapshot;
}

std::string Workspace::open(const std::string& uri, std::string text, long long version) {
  Document& document = documents_[uri];
  document.uri = uri;
  document.path = uri_to_path(uri);
  if (!document.path.empty()) document.path = fs::path(document.path).lexically_normal().string();
  document.text = std::move(text);
  document.version = version;
  return rules_folder_of(document.path);
}

std::string Workspace::close(const std::string& uri) {
  auto it = documents_.find(uri);
  if (it == documents_.end()) return {};
  std::string folder = rules_folder_of(it->second.path);
  documents_.erase(it);
  return folder;
}

const Document* Workspace::document(const std::string& uri) const {
  auto it = documents_.find(uri);
  return it == documents_.end() ? nullptr : &it->second;
}

std::shared_ptr<const FolderSnapshot> Workspace::refresh(const std::string& folder) {
  auto snapshot = read_folder(folder, documents_);
  snapshots_[folder] = snapshot;
  return snapshot;
}

std::shared_ptr<const FolderSnapshot> Workspace::snapshot(const std::string& folder) {
  auto it = snapshots_.find(folder);
  if (it != snapshots_.end()) return it->second;
  return refresh(folder);
}

std::vector<std::string> Workspace::folders() const {
  std::vector<std::string> folders;
  for (const auto& [folder, snapshot] : snapshots_) folders.push_back(folder);
  return folders;
}

}  // namespace triage::lsp

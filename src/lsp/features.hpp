#pragma once
// The language features, each a pure function from a folder snapshot and a place in a document to
// the LSP result as JSON (nlohmann, as the FHIR layer uses). The server (server.hpp) finds the
// snapshot and turns positions into byte offsets; nothing here reads files or writes anything.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyze/analyze.hpp"
#include "diag/diagnostic.hpp"
#include "lsp/text.hpp"
#include "lsp/workspace.hpp"

namespace triage::lsp {

using Json = nlohmann::json;

// Where a request points: a rule file of a snapshot and a byte offset in it.
struct Place {
  const FolderSnapshot* snapshot = nullptr;
  std::string file;       // name in the snapshot
  std::size_t offset = 0;
  bool utf16 = true;      // the client's position encoding
  std::string_view text;  // a `.cases` file's text (it is no file of the snapshot); else empty
};

// An LSP Diagnostic for an engine diagnostic of `text`: the range covers the name or string at its
// location; the hint is added to the message (editors show no other field) and kept in `data`, with
// the replacement of a "did you mean" hint, for code actions.
Json lsp_diagnostic(const Diagnostic& diagnostic, const TextIndex& text);

// A safety-analysis finding: its diagnostic with the witness intake in the message and in `data`.
Json lsp_finding(const Finding& finding, const TextIndex& text);

// The name a "did you mean `x`?" hint suggests, or empty.
std::string suggested_name(const std::string& hint);

// textDocument/hover: markdown about the symbol at the place, or null.
Json hover(const Place& place);

// textDocument/definition: the declaration's Location, or null.
Json definition(const Place& place);

// textDocument/references: every Location of the symbol (its declaration when `with_declaration`).
Json references(const Place& place, bool with_declaration);

// textDocument/completion: names and keywords that fit before the cursor; snippets at the start
// of a line. `line_before` is the text of the line up to the cursor.
Json completion(const Place& place, const std::string& line_before);

// Completion in a `.cases` file: keywords, fact names, values and ids (no snapshot file needed).
Json case_completion(const FolderSnapshot* snapshot, const std::string& line_before);

// textDocument/documentSymbol: the declarations of the file, each with its range.
Json document_symbols(const FolderSnapshot& snapshot, const std::string& file, bool utf16);

// workspace/symbol: declarations of every snapshot whose name contains `query`.
Json workspace_symbols(const std::vector<const FolderSnapshot*>& snapshots, const std::string& query, bool utf16);

// textDocument/formatting: one edit replacing the whole text with `triage fmt`'s layout; an empty
// list when it is formatted already; nothing (with `error`) when it has syntax errors.
std::optional<Json> formatting(const std::string& name, const std::string& text, bool utf16, std::string& error);

// Where a witness intake becomes a rule test: the `.cases` file and its current text (nothing when
// it does not exist yet).
struct CasesTarget {
  std::string uri;
  std::optional<std::string> text;
};

// textDocument/codeAction: a quick fix for every diagnostic of the request carrying a
// replacement (from a "did you mean" hint), and for every finding with a witness intake an action
// that appends it to `cases` as a case (answers only; the author writes what it must show).
Json code_actions(const std::string& uri, const Json& diagnostics, const std::optional<CasesTarget>& cases = std::nullopt);

// A witness intake ({"answers": {...}} JSON) as a `.cases` case named `name`, with `comment` lines
// above it; empty when the JSON is not an intake.
std::string witness_case(const std::string& witness, const std::string& name, const std::vector<std::string>& comment);

// The LSP Location of bytes [begin, end) of `file` in the snapshot.
Json location(const FolderSnapshot& snapshot, const std::string& file, std::size_t begin, std::size_t end, bool utf16);

}  // namespace triage::lsp

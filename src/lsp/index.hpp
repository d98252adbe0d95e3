#pragma once
// Every name of a rules folder and where it is written: declarations (definitions) and uses
// (references), read from the parser's syntax trees. Built from the trees rather than the checked
// model so that hover, definition and references keep working while the folder has errors.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "check/checker.hpp"
#include "parse/ast.hpp"

namespace triage::lsp {

enum class SymbolKind { fact, value, technique, tag, rule, source, section, hazard, phase };

// The word for a kind, as hover and symbol lists show it ("fact", "technique", ...).
const char* to_string(SymbolKind kind);

// One place a name is written.
struct Occurrence {
  SymbolKind kind = SymbolKind::fact;
  std::string key;     // identifies the symbol across files: "fact:age", "value:onset.sudden"
  std::string name;    // as written: "age", "sudden", "NICE NG59"
  std::string file;    // the rule file's name (as in the SourceSet)
  std::size_t begin = 0, end = 0;  // bytes of the name in the file
  bool definition = false;
  std::string owner;   // key of the declaration it is written in ("rule:x", "fact:y"); empty at top level
};

// A declared symbol: its occurrence and the declaration that holds it.
struct Definition {
  Occurrence where;
  const ast::Declaration* declaration = nullptr;  // null for values and phases
  std::string fact;                               // values: the fact they belong to
};

class SymbolIndex {
 public:
  // Indexes `files`; their syntax trees must outlive the index (it points at declarations).
  explicit SymbolIndex(const std::vector<ParsedFile>& files);

  // The occurrence covering byte `offset` of `file` (the cursor may sit just after the name).
  const Occurrence* at(const std::string& file, std::size_t offset) const;
  // Where `key` is declared, or nullptr (a misspelt name has none).
  const Definition* definition(const std::string& key) const;
  // Every occurrence of `key`, definitions included, in file and offset order.
  std::vector<const Occurrence*> occurrences(const std::string& key) const;
  // Declared names of `kind`, sorted (values: every fact's, as "fact.value" keys' names).
  std::vector<std::string> names(SymbolKind kind) const;
  // The values of an enum or set fact, in declaration order; empty for other facts.
  std::vector<std::string> values_of(const std::string& fact) const;
  // The definitions in `file`, in file order.
  std::vector<const Definition*> definitions_in(const std::string& file) const;
  // Every definition, keyed by symbol key.
  const std::map<std::string, Definition>& definitions() const { return definitions_; }

 private:
  std::vector<Occurrence> occurrences_;  // sorted by file, then begin
  std::map<std::string, Definition> definitions_;
  std::map<std::string, std::vector<std::string>> values_;  // fact -> values
};

// The key of a symbol: "fact:age", "value:onset.sudden" (value keys need the fact).
std::string symbol_key(SymbolKind kind, const std::string& name, const std::string& fact = {});

}  // namespace triage::lsp

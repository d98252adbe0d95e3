#include "lsp/features.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "fmt/format.hpp"
#include "lsp/uri.hpp"
#include "parse/language.hpp"

namespace triage::lsp {

namespace {

// LSP numbers (DiagnosticSeverity, SymbolKind, CompletionItemKind, InsertTextFormat).
int lsp_severity(Severity severity) {
  switch (severity) {
    case Severity::error: return 1;
    case Severity::warning: return 2;
    case Severity::note: return 3;
  }
  return 1;
}
enum CompletionKind { text_kind = 1, function_kind = 3, field_kind = 5, variable_kind = 6, class_kind = 7,
                      module_kind = 9, property_kind = 10, value_kind = 12, enum_kind = 13, keyword_kind = 14,
                      snippet_kind = 15, reference_kind = 18, enum_member_kind = 20, constant_kind = 21, event_kind = 23 };

Json range_json(const Range& range) {
  return {{"start", {{"line", range.start.line}, {"character", range.start.character}}},
          {"end", {{"line", range.end.line}, {"character", range.end.character}}}};
}

Json byte_range(const TextIndex& text, std::size_t begin, std::size_t end) {
  return range_json({text.position(begin), text.position(end)});
}

// The range a diagnostic at a 1-based line and byte column points at.
Json diagnostic_range(const SourceLocation& location, const TextIndex& text) {
  if (location.line == 0) return range_json({});
  Position start = text.from_line_column(location.line, location.column);
  std::size_t offset = text.offset(start);
  auto [begin, end] = token_at(text.text(), offset);
  if (end <= begin) return range_json({start, start});
  return byte_range(text, begin, end);
}

const ast::Property* property(const std::vector<ast::Property>& properties, const std::string& key) {
  for (const auto& p : properties) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

std::string text_of(const std::vector<ast::Property>& properties, const std::string& key) {
  const ast::Property* p = property(properties, key);
  return p && !p->strings.empty() ? p->strings.front().text : std::string{};
}

std::string names_of(const ast::Property& p, const std::string& separator = ", ") {
  std::string out;
  for (const auto& n : p.names) out += (out.empty() ? "" : separator) + n.name;
  return out;
}

std::string quoted_list(const ast::Property* p) {
  std::string out;
  if (!p) return out;
  for (const auto& s : p->strings) out += (out.empty() ? "" : ", ") + ("\"" + s.text + "\"");
  return out;
}

std::string fact_type(const ast::FactType& type) {
  auto values = [&] {
    std::string out;
    for (const auto& v : type.values) out += (out.empty() ? "" : ", ") + v.name;
    return "{" + out + "}";
  };
  switch (type.kind) {
    case ast::FactKind::boolean: return "bool";
    case ast::FactKind::integer: return "int " + std::to_string(type.low) + ".." + std::to_string(type.high);
    case ast::FactKind::enumeration: return "enum " + values();
    case ast::FactKind::set: return "set of " + values();
  }
  return "?";
}

// "red_flag `x`, rule `y`" for the declarations that read `key`.
std::string readers(const SymbolIndex& index, const std::string& key) {
  std::set<std::string> owners;
  for (const auto* o : index.occurrences(key)) {
    if (!o->definition && !o->owner.empty() && o->owner != key) owners.insert(o->owner);
  }
  std::string out;
  for (const auto& owner : owners) {
    std::size_t colon = owner.find(':');
    std::string kind = colon == std::string::npos ? owner : owner.substr(0, colon);
    std::string name = colon == std::string::npos ? "" : owner.substr(colon + 1);
    // Red flags and rules share a key space; say which.
    if (kind == "rule") {
      const Definition* d = index.definition(owner);
      if (d && d->declaration) {
        if (const auto* r = std::get_if<ast::RuleDecl>(d->declaration); r && r->red_flag) kind = "red_flag";
      }
    }
    out += (out.empty() ? "" : ", ") + kind + (name.empty() ? "" : " `" + name + "`");
  }
  return out;
}

std::string fact_hover(const SymbolIndex& index, const Definition& d) {
  std::string md;
  if (const auto* fact = std::get_if<ast::FactDecl>(d.declaration)) {
    md = "**fact** `" + fact->name.name + "`: " + fact_type(fact->type) + "\n";
    std::string question = text_of(fact->properties, "question"), help = text_of(fact->properties, "help");
    if (!question.empty()) md += "\n**Question:** " + question + "\n";
    if (!help.empty()) md += "\n**Help:** " + help + "\n";
    if (!fact->type.values.empty()) {
      md += "\n**Values:**\n";
      for (const auto& v : fact->type.values) {
        std::string label;
        for (const auto& p : fact->properties) {
          if (p.key == "label" && !p.names.empty() && p.names.front().name == v.name && !p.strings.empty()) label = p.strings.front().text;
        }
        md += "- `" + v.name + "`" + (label.empty() ? "" : ": " + label) + "\n";
      }
    }
    if (const auto* def = property(fact->properties, "default")) {
      std::string value;
      switch (def->value.kind) {
        case ast::Value::Kind::boolean: value = def->value.boolean ? "true" : "false"; break;
        case ast::Value::Kind::integer: value = std::to_string(def->value.integer); break;
        case ast::Value::Kind::symbol: value = def->value.symbol.name; break;
        case ast::Value::Kind::set: {
          for (const auto& m : def->value.members) value += (value.empty() ? "" : ", ") + m.name;
          value = "{" + value + "}";
        }
      }
      md += "\n**Default:** `" + value + "`\n";
    } else {
      md += "\n**Default:** none (asked until answered)\n";
    }
  } else if (const auto* derived = std::get_if<ast::DerivedDecl>(d.declaration)) {
    md = "**derived fact** `" + derived->name.name + "`\n";
    std::string meaning = text_of(derived->properties, "meaning");
    if (!meaning.empty()) md += "\n" + meaning + "\n";
  }
  std::string read = readers(index, d.where.key);
  md += "\n**Read by:** " + (read.empty() ? std::string("nothing") : read) + "\n";
  return md;
}

std::string hover_markdown(const SymbolIndex& index, const Definition& d) {
  const std::string& name = d.where.name;
  switch (d.where.kind) {
    case SymbolKind::fact: return fact_hover(index, d);
    case SymbolKind::value: {
      std::string md = "**value** `" + name + "` of fact `" + d.fact + "`\n";
      const Definition* fact = index.definition(symbol_key(SymbolKind::fact, d.fact));
      if (fact && fact->declaration) {
        if (const auto* decl = std::get_if<ast::FactDecl>(fact->declaration)) {
          for (const auto& p : decl->properties) {
            if (p.key == "label" && !p.names.empty() && p.names.front().name == name && !p.strings.empty()) {
              md += "\n**Label:** " + p.strings.front().text + "\n";
            }
          }
        }
      }
      return md;
    }
    case SymbolKind::technique: {
      const auto* t = std::get_if<ast::TechniqueDecl>(d.declaration);
      if (!t) break;
      std::string md = "**technique** `" + name + "`: " + text_of(t->properties, "title") + "\n";
      if (const auto* phase = property(t->properties, "phase")) md += "\n**Phase:** " + names_of(*phase) + "\n";
      std::string dose = text_of(t->properties, "dose");
      if (!dose.empty()) md += "\n**Dose:** " + dose + "\n";
      if (const auto* tags = property(t->properties, "tags")) md += "\n**Tags:** " + names_of(*tags) + "\n";
      if (const auto* needs = property(t->properties, "needs")) md += "\n**Needs:** " + names_of(*needs) + "\n";
      std::string sources = quoted_list(property(t->properties, "sources"));
      if (!sources.empty()) md += "\n**Sources:** " + sources + "\n";
      return md;
    }
    case SymbolKind::rule: {
      const auto* r = std::get_if<ast::RuleDecl>(d.declaration);
      if (!r) break;
      std::string md = std::string("**") + (r->red_flag ? "red_flag" : "rule") + "** `" + name + "`\n";
      for (const auto& e : r->effects) {
        if (e.kind == ast::Effect::Kind::refer) md += "\n**Tier:** " + e.tier.name + "\n";
      }
      std::string reason = text_of(r->properties, "reason");
      if (!reason.empty()) md += "\n**Reason:** " + reason + "\n";
      if (const auto* status = property(r->properties, "status")) md += "\n**Status:** " + names_of(*status) + "\n";
      std::string sources = quoted_list(property(r->properties, "sources"));
      if (!sources.empty()) md += "\n**Sources:** " + sources + "\n";
      return md;
    }
    case SymbolKind::source: {
      const auto* s = std::get_if<ast::SourceDecl>(d.declaration);
      if (!s) break;
      std::string md = "**source** \"" + name + "\"\n\n" + text_of(s->properties, "title") + "\n";
      std::string url = text_of(s->properties, "url"), document = text_of(s->properties, "document");
      if (!url.empty()) md += "\n<" + url + ">\n";
      if (!document.empty()) md += "\n**Document:** " + document + "\n";
      std::string read = readers(index, d.where.key);
      md += "\n**Cited by:** " + (read.empty() ? std::string("nothing") : read) + "\n";
      return md;
    }
    case SymbolKind::tag: {
      const auto* t = std::get_if<ast::TagDecl>(d.declaration);
      std::string md = "**tag** `" + name + "`\n";
      if (t) md += "\n" + t->description.text + "\n";
      return md;
    }
    case SymbolKind::section: {
      const auto* s = std::get_if<ast::SectionDecl>(d.declaration);
      std::string md = "**section** `" + name + "`\n";
      if (s) {
        md += "\n" + text_of(s->properties, "title") + "\n";
        if (const auto* facts = property(s->properties, "facts")) md += "\n**Facts:** " + names_of(*facts) + "\n";
      }
      return md;
    }
    case SymbolKind::hazard: {
      const auto* h = std::get_if<ast::HazardDecl>(d.declaration);
      std::string md = "**hazard** `" + name + "`\n";
      if (h) {
        md += "\n" + text_of(h->properties, "description") + "\n";
        std::string harm = text_of(h->properties, "harm");
        if (!harm.empty()) md += "\n**Harm:** " + harm + "\n";
        if (const auto* controls = property(h->properties, "controls")) md += "\n**Controls:** " + names_of(*controls) + "\n";
      }
      return md;
    }
    case SymbolKind::phase: return "**phase** `" + name + "` of the plan\n";
  }
  return "**" + std::string(to_string(d.where.kind)) + "** `" + name + "`\n";
}

// In a `.cases` file, the declaration a name stands for: `answer FACT = VALUE`, or the red flag,
// rule, technique or fact an `expect` line names. The rule files' index does not cover these files,
// so the name's declaration stands in for the occurrence.
const Occurrence* case_occurrence_at(const Place& place) {
  auto [begin, end] = name_at(place.text, place.offset);
  if (begin == end) return nullptr;
  std::string name(place.text.substr(begin, end - begin));
  std::size_t line_start = place.text.rfind('\n', begin == 0 ? 0 : begin - 1);
  line_start = line_start == std::string_view::npos || begin == 0 ? 0 : line_start + 1;
  std::string before(place.text.substr(line_start, begin - line_start));
  const SymbolIndex& index = *place.snapshot->index;
  static const std::regex answer_value("^\\s*answer\\s+(\\w+)\\s*=.*$");
  std::smatch m;
  std::vector<std::string> keys;
  if (std::regex_match(before, m, answer_value)) keys.push_back(symbol_key(SymbolKind::value, name, m[1]));
  for (auto kind : {SymbolKind::fact, SymbolKind::rule, SymbolKind::technique, SymbolKind::tag}) keys.push_back(symbol_key(kind, name));
  for (const auto& key : keys) {
    if (const Definition* d = index.definition(key)) return &d->where;
  }
  return nullptr;
}

const Occurrence* occurrence_at(const Place& place) {
  if (!place.snapshot || !place.snapshot->index) return nullptr;
  if (!place.text.empty() && !place.snapshot->source(place.file)) return case_occurrence_at(place);
  return place.snapshot->index->at(place.file, place.offset);
}

Json item(const std::string& label, int kind, const std::string& detail = {}) {
  Json j = {{"label", label}, {"kind", kind}};
  if (!detail.empty()) j["detail"] = detail;
  return j;
}

Json snippet(const std::string& label, const std::string& body, const std::string& detail) {
  return {{"label", label}, {"kind", snippet_kind}, {"detail", detail}, {"insertText", body}, {"insertTextFormat", 2}};
}

// The declaration that holds byte `offset` of `file`: the last one starting before it.
const ast::Declaration* enclosing(const FolderSnapshot& snapshot, const std::string& file, std::size_t offset) {
  for (const auto& parsed : snapshot.loaded.parsed) {
    if (parsed.source->name() != file) continue;
    const ast::Declaration* found = nullptr;
    for (const auto& d : parsed.ast.declarations) {
      std::size_t start = std::visit([](const auto& decl) { return decl.offset; }, d);
      if (start <= offset) found = &d;
    }
    return found;
  }
  return nullptr;
}

// The fact the plan names under `key` (equipment_fact, area_fact), or empty.
std::string plan_fact(const FolderSnapshot& snapshot, const std::string& key) {
  for (const auto& parsed : snapshot.loaded.parsed) {
    for (const auto& d : parsed.ast.declarations) {
      if (const auto* plan = std::get_if<ast::PlanDecl>(&d)) {
        const ast::Property* p = property(plan->properties, key);
        if (p && !p->names.empty()) return p->names.front().name;
      }
    }
  }
  return {};
}

language::Decl decl_kind(const ast::Declaration& d) {
  static constexpr language::Decl kinds[] = {language::Decl::fact, language::Decl::derived, language::Decl::tag,
                                             language::Decl::technique, language::Decl::rule, language::Decl::plan,
                                             language::Decl::section, language::Decl::next_step, language::Decl::ruleset,
                                             language::Decl::source, language::Decl::hazard};
  if (const auto* r = std::get_if<ast::RuleDecl>(&d); r && r->red_flag) return language::Decl::red_flag;
  return kinds[d.index()];
}

void add_names(Json& items, const std::vector<std::string>& names, int kind, const std::string& detail) {
  for (const auto& n : names) items.push_back(item(n, kind, detail));
}

Json rule_snippets() {
  Json items = Json::array();
  items.push_back(snippet("red_flag", "red_flag ${1:flag_id}: ${2:condition} -> refer ${3|emergency,urgent,routine|}\n"
                                      "  reason \"${4:why, in words a patient reads}\"\n  sources \"${5:source id}\"",
                          "new red flag"));
  items.push_back(snippet("rule", "rule ${1:rule_id}: ${2:condition} -> ${3|avoid,include|} ${4:technique}\n"
                                  "  reason \"${5:why, in words a patient reads}\"\n  sources \"${6:source id}\"",
                          "new suitability rule"));
  items.push_back(snippet("technique", "technique ${1:technique_id}\n  title \"${2:title}\"\n  phase ${3:phase}\n"
                                       "  instructions \"${4:what to do}\"\n  dose \"${5:how much, how often}\"\n"
                                       "  sources \"${6:source id}\"",
                          "new technique"));
  items.push_back(snippet("fact", "fact ${1:fact_id}: ${2|bool,int 0..10,enum {a\\, b},set of {a\\, b}|}\n"
                                  "  question \"${3:the question a patient reads}\"",
                          "new fact"));
  return items;
}

}  // namespace

std::string suggested_name(const std::string& hint) {
  static const std::regex did_you_mean("did you mean `([^`]+)`\\?");
  std::smatch match;
  if (std::regex_search(hint, match, did_you_mean)) return match[1];
  return {};
}

Json lsp_diagnostic(const Diagnostic& diagnostic, const TextIndex& text) {
  Json j = {{"range", diagnostic_range(diagnostic.location, text)},
            {"severity", lsp_severity(diagnostic.severity)},
            {"code", diagnostic.code},
            {"source", "triage"},
            {"message", diagnostic.message + (diagnostic.hint.empty() ? "" : "\nhint: " + diagnostic.hint)}};
  if (!diagnostic.hint.empty()) {
    Json data = {{"hint", diagnostic.hint}};
    std::string replacement = suggested_name(diagnostic.hint);
    if (!replacement.empty()) data["replacement"] = replacement;
    j["data"] = data;
  }
  return j;
}

Json lsp_finding(const Finding& finding, const TextIndex& text) {
  Json j = lsp_diagnostic(finding.diagnostic, text);
  if (finding.witness) {
    std::string message = j["message"];
    message += "\nwitness intake: " + *finding.witness;
    if (!finding.witness_shows.empty()) message += "\n(" + finding.witness_shows + ")";
    j["message"] = message;
    if (!j.contains("data")) j["data"] = Json::object();
    j["data"]["witness"] = *finding.witness;
    if (!finding.witness_shows.empty()) j["data"]["shows"] = finding.witness_shows;
  }
  return j;
}

Json location(const FolderSnapshot& snapshot, const std::string& file, std::size_t begin, std::size_t end, bool utf16) {
  const SourceFile* source = snapshot.source(file);
  auto path = snapshot.paths.find(file);
  if (!source || path == snapshot.paths.end()) return nullptr;
  TextIndex text(source->text(), utf16);
  return {{"uri", path_to_uri(path->second)}, {"range", byte_range(text, begin, end)}};
}

Json hover(const Place& place) {
  const Occurrence* o = occurrence_at(place);
  if (!o) return nullptr;
  const Definition* d = place.snapshot->index->definition(o->key);
  std::string md = d ? hover_markdown(*place.snapshot->index, *d)
                     : "**" + std::string(to_string(o->kind)) + "** `" + o->name + "` is not declared\n";
  const SourceFile* source = place.snapshot->source(place.file);
  Json j = {{"contents", {{"kind", "markdown"}, {"value", md}}}};
  if (source) j["range"] = byte_range(TextIndex(source->text(), place.utf16), o->begin, o->end);
  return j;
}

Json definition(const Place& place) {
  const Occurrence* o = occurrence_at(place);
  if (!o) return nullptr;
  const Definition* d = place.snapshot->index->definition(o->key);
  if (!d) return nullptr;
  return location(*place.snapshot, d->where.file, d->where.begin, d->where.end, place.utf16);
}

Json references(const Place& place, bool with_declaration) {
  const Occurrence* o = occurrence_at(place);
  Json out = Json::array();
  if (!o) return out;
  for (const auto* found : place.snapshot->index->occurrences(o->key)) {
    if (found->definition && !with_declaration) continue;
    Json l = location(*place.snapshot, found->file, found->begin, found->end, place.utf16);
    if (!l.is_null()) out.push_back(l);
  }
  return out;
}

Json completion(const Place& place, const std::string& line_before) {
  Json items = Json::array();
  const FolderSnapshot& snapshot = *place.snapshot;
  const SymbolIndex& index = *snapshot.index;
  std::smatch m;
  auto values = [&](const std::string& fact) {
    add_names(items, index.values_of(fact), enum_member_kind, "value of " + fact);
  };
  static const std::regex in_string("^\\s*(sources?|source)\\b[^\"]*(\"[^\"]*\"[^\"]*)*\"[^\"]*$");
  static const std::regex tag_or_phase("\\b(avoid|include|order|before|on)\\s+(tag|phase)\\s+\\w*$");
  static const std::regex effect_target("\\b(avoid|include|order|before|on)\\s+\\w*$");
  static const std::regex refer("\\brefer\\s+\\w*$");
  static const std::regex compare("\\b(\\w+)\\s*(=|!=)\\s*\\w*$");
  static const std::regex one_of("\\b(\\w+)\\s+(in|has\\s+(any|all|none))\\s*\\{[^}]*$");
  static const std::regex key_line("^\\s+(\\w+)\\s+[^\"]*$");
  static const std::regex first_word("^(\\w*)$");
  static const std::regex indented_word("^\\s+(\\w*)$");
  if (std::regex_search(line_before, m, in_string)) {
    add_names(items, index.names(SymbolKind::source), reference_kind, "source");
    return items;
  }
  if (std::regex_search(line_before, m, tag_or_phase)) {
    add_names(items, index.names(m[2] == "tag" ? SymbolKind::tag : SymbolKind::phase), constant_kind, m[2]);
    return items;
  }
  if (std::regex_search(line_before, m, effect_target)) {
    add_names(items, index.names(SymbolKind::technique), class_kind, "technique");
    items.push_back(item("tag", keyword_kind));
    items.push_back(item("phase", keyword_kind));
    return items;
  }
  if (std::regex_search(line_before, m, refer)) {
    for (auto tier : language::tier_names) items.push_back(item(std::string(tier), enum_member_kind, "tier"));
    return items;
  }
  if (std::regex_search(line_before, m, one_of) || std::regex_search(line_before, m, compare)) {
    if (!index.values_of(m[1]).empty()) {
      values(m[1]);
      return items;
    }
  }
  if (std::regex_search(line_before, m, first_word)) {
    for (auto word : language::declaration_words) items.push_back(item(std::string(word), keyword_kind, "declaration"));
    for (auto& s : rule_snippets()) items.push_back(s);
    return items;
  }
  const ast::Declaration* decl = enclosing(snapshot, place.file, place.offset);
  if (std::regex_search(line_before, m, indented_word) && decl) {
    auto kind = decl_kind(*decl);
    for (const auto& row : language::property_keys) {
      if (row.allowed & language::bit(kind)) items.push_back(item(std::string(row.key), property_kind, "property"));
    }
    return items;
  }
  if (std::regex_search(line_before, m, key_line)) {
    std::string key = m[1];
    if (key == "tags") return add_names(items, index.names(SymbolKind::tag), constant_kind, "tag"), items;
    if (key == "facts" || key == "equipment_fact" || key == "area_fact") {
      return add_names(items, index.names(SymbolKind::fact), variable_kind, "fact"), items;
    }
    if (key == "phase" || key == "targeted" || key == "require") {
      return add_names(items, index.names(SymbolKind::phase), constant_kind, "phase"), items;
    }
    if (key == "controls") return add_names(items, index.names(SymbolKind::rule), function_kind, "red flag or rule"), items;
    if (key == "needs") return values(plan_fact(snapshot, "equipment_fact")), items;
    if (key == "targets") return values(plan_fact(snapshot, "area_fact")), items;
    if (key == "label" || key == "default") {
      if (const auto* fact = decl ? std::get_if<ast::FactDecl>(decl) : nullptr) return values(fact->name.name), items;
    }
    if (key == "status") {
      for (auto s : language::status_names) items.push_back(item(std::string(s), enum_member_kind, "status"));
      return items;
    }
  }
  // Inside a condition, or anywhere else: facts, then the condition words.
  add_names(items, index.names(SymbolKind::fact), variable_kind, "fact");
  add_names(items, index.names(SymbolKind::technique), class_kind, "technique");
  for (auto word : language::reserved_words) items.push_back(item(std::string(word), keyword_kind));
  for (auto word : {"true", "false", "refer", "avoid", "include", "order", "before", "caution", "tag", "phase"}) {
    items.push_back(item(word, keyword_kind));
  }
  return items;
}

Json case_completion(const FolderSnapshot* snapshot, const std::string& line_before) {
  Json items = Json::array();
  std::smatch m;
  static const std::regex answer_fact("^\\s+answer\\s+\\w*$");
  static const std::regex answer_value("^\\s+answer\\s+(\\w+)\\s*=\\s*\\{?[\\w,\\s]*$");
  static const std::regex expect_kind("^\\s+expect\\s+\\w*$");
  static const std::regex indented_word("^\\s+\\w*$");
  static const std::regex first_word("^\\w*$");
  if (std::regex_search(line_before, m, first_word)) {
    items.push_back(snippet("case", "case \"${1:what the case shows}\"\n  answer ${2:fact} = ${3:value}\n"
                                    "  expect outcome ${4|refer,self_care,incomplete|}",
                            "new test case"));
    items.push_back(item("case", keyword_kind));
    items.push_back(item("base", keyword_kind));
    return items;
  }
  if (std::regex_search(line_before, m, expect_kind)) {
    for (auto word : {"outcome", "urgency", "red_flag", "plan", "order", "missing", "refine", "excluded", "caution"}) {
      items.push_back(item(word, keyword_kind));
    }
    return items;
  }
  if (std::regex_search(line_before, m, indented_word)) {
    for (auto word : {"answer", "expect", "from"}) items.push_back(item(word, keyword_kind));
    return items;
  }
  if (!snapshot || !snapshot->index) return items;
  if (std::regex_search(line_before, m, answer_fact)) {
    add_names(items, snapshot->index->names(SymbolKind::fact), variable_kind, "fact");
  } else if (std::regex_search(line_before, m, answer_value)) {
    add_names(items, snapshot->index->values_of(m[1]), enum_member_kind, "value");
    if (snapshot->index->values_of(m[1]).empty()) {
      items.push_back(item("true", keyword_kind));
      items.push_back(item("false", keyword_kind));
    }
  } else {
    add_names(items, snapshot->index->names(SymbolKind::rule), function_kind, "red flag or rule");
    add_names(items, snapshot->index->names(SymbolKind::technique), class_kind, "technique");
    add_names(items, snapshot->index->names(SymbolKind::fact), variable_kind, "fact");
  }
  return items;
}

Json document_symbols(const FolderSnapshot& snapshot, const std::string& file, bool utf16) {
  Json out = Json::array();
  const SourceFile* source = snapshot.source(file);
  if (!source || !snapshot.index) return out;
  TextIndex text(source->text(), utf16);
  // Each declaration reaches to the end of its last non-blank line before the next declaration.
  std::vector<std::size_t> starts;
  for (const auto& parsed : snapshot.loaded.parsed) {
    if (parsed.source->name() != file) continue;
    for (const auto& d : parsed.ast.declarations) starts.push_back(std::visit([](const auto& x) { return x.offset; }, d));
  }
  std::sort(starts.begin(), starts.end());
  auto end_of = [&](std::size_t begin) {
    auto next = std::upper_bound(starts.begin(), starts.end(), begin);
    std::size_t end = next == starts.end() ? source->text().size() : *next;
    const std::string& t = source->text();
    // Back over the blank lines and comments that come before the next declaration.
    while (true) {
      while (end > begin && std::isspace(static_cast<unsigned char>(t[end - 1]))) --end;
      std::size_t line_start = end == 0 ? 0 : t.rfind('\n', end - 1);
      line_start = line_start == std::string::npos ? 0 : line_start + 1;
      if (line_start <= begin) break;
      std::size_t first = t.find_first_not_of(" \t", line_start);
      if (first >= end || t[first] != '#') break;
      end = line_start;  // a comment line: it belongs to what follows
    }
    return end;
  };
  for (const auto* d : snapshot.index->definitions_in(file)) {
    int kind = 13;  // Variable
    std::string detail = to_string(d->where.kind);
    switch (d->where.kind) {
      case SymbolKind::fact: kind = 13; break;
      case SymbolKind::technique: kind = 5; break;  // Class
      case SymbolKind::tag: kind = 14; break;       // Constant
      case SymbolKind::rule: kind = 12; break;      // Function
      case SymbolKind::source: kind = 1; break;     // File
      case SymbolKind::section: kind = 3; break;    // Namespace
      case SymbolKind::hazard: kind = 19; break;    // Object
      default: break;
    }
    std::size_t begin = d->declaration ? std::visit([](const auto& x) { return x.offset; }, *d->declaration) : d->where.begin;
    if (d->declaration) {
      if (const auto* r = std::get_if<ast::RuleDecl>(d->declaration); r && r->red_flag) {
        detail = "red_flag";
        kind = 24;  // Event
      }
      if (std::holds_alternative<ast::DerivedDecl>(*d->declaration)) detail = "derived";
    }
    Json symbol = {{"name", d->where.name}, {"detail", detail}, {"kind", kind},
                   {"range", byte_range(text, begin, std::max(end_of(begin), d->where.end))},
                   {"selectionRange", byte_range(text, d->where.begin, d->where.end)}};
    if (d->where.kind == SymbolKind::fact) {
      Json children = Json::array();
      for (const auto& value : snapshot.index->values_of(d->where.name)) {
        const Definition* v = snapshot.index->definition(symbol_key(SymbolKind::value, value, d->where.name));
        if (!v) continue;
        Json r = byte_range(text, v->where.begin, v->where.end);
        children.push_back({{"name", value}, {"kind", 22}, {"range", r}, {"selectionRange", r}});  // EnumMember
      }
      if (!children.empty()) symbol["children"] = children;
    }
    out.push_back(symbol);
  }
  return out;
}

Json workspace_symbols(const std::vector<const FolderSnapshot*>& snapshots, const std::string& query, bool utf16) {
  Json out = Json::array();
  for (const auto* snapshot : snapshots) {
    if (!snapshot->index) continue;
    for (const auto& [key, d] : snapshot->index->definitions()) {
      if (d.where.kind == SymbolKind::value || d.where.kind == SymbolKind::phase) continue;
      if (!query.empty() && d.where.name.find(query) == std::string::npos) continue;
      Json l = location(*snapshot, d.where.file, d.where.begin, d.where.end, utf16);
      if (l.is_null()) continue;
      int kind = d.where.kind == SymbolKind::rule ? 12 : d.where.kind == SymbolKind::technique ? 5 : 13;
      out.push_back({{"name", d.where.name}, {"kind", kind}, {"containerName", to_string(d.where.kind)}, {"location", l}});
    }
  }
  return out;
}

std::optional<Json> formatting(const std::string& name, const std::string& text, bool utf16, std::string& error) {
  SourceFile source(name, text);
  FormatResult formatted = format_rules(source);
  if (!formatted.diagnostics.empty()) {
    const Diagnostic& first = formatted.diagnostics.front();
    error = "not formatted: line " + std::to_string(first.location.line) + ": " + first.message;
    return std::nullopt;
  }
  Json edits = Json::array();
  if (formatted.text == text) return edits;
  edits.push_back({{"range", range_json(TextIndex(text, utf16).whole())}, {"newText", formatted.text}});
  return edits;
}

std::string witness_case(const std::string& witness, const std::string& name, const std::vector<std::string>& comment) {
  // In the witness' own order (the questionnaire's), not sorted.
  nlohmann::ordered_json intake = nlohmann::ordered_json::parse(witness, nullptr, false);
  if (!intake.is_object() || !intake.contains("answers") || !intake["answers"].is_object()) return {};
  std::string text;
  for (const auto& line : comment) text += "# " + line + "\n";
  text += "case \"" + name + "\"\n";
  for (const auto& [fact, value] : intake["answers"].items()) {
    std::string written;
    if (value.is_boolean()) written = value.get<bool>() ? "true" : "false";
    else if (value.is_number_integer()) written = std::to_string(value.get<long long>());
    else if (value.is_string()) written = value.get<std::string>();
    else if (value.is_array()) {
      for (const auto& member : value) written += (written.empty() ? "" : ", ") + member.get<std::string>();
      written = "{" + written + "}";
    } else {
      return {};
    }
    text += "  answer " + fact + " = " + written + "\n";
  }
  return text;
}

Json code_actions(const std::string& uri, const Json& diagnostics, const std::optional<CasesTarget>& cases) {
  Json actions = Json::array();
  if (!diagnostics.is_array()) return actions;
  for (const auto& d : diagnostics) {
    if (!d.is_object() || !d.contains("data") || !d["data"].is_object()) continue;
    const Json& data = d["data"];
    if (cases && data.contains("witness") && data["witness"].is_string()) {
      std::string message = d.value("message", "");
      std::string code = d.contains("code") && d["code"].is_string() ? d["code"].get<std::string>() : "finding";
      std::vector<std::string> comment{"witness of " + code + ": " + message.substr(0, message.find('\n'))};
      if (data.contains("shows") && data["shows"].is_string()) comment.push_back("shows: " + data["shows"].get<std::string>());
      comment.push_back("add what the decision must show (expect ...), then run `triage test`");
      std::string line = d.contains("range") ? std::to_string(d["range"]["start"]["line"].get<int>() + 1) : "?";
      std::string text = witness_case(data["witness"], "witness: " + code + " at line " + line, comment);
      if (text.empty()) continue;
      Json document_changes = Json::array();
      Json at = {{"line", 0}, {"character", 0}};
      if (!cases->text) {
        document_changes.push_back({{"kind", "create"}, {"uri", cases->uri}, {"options", {{"ignoreIfExists", true}}}});
      } else {
        Position end = TextIndex(*cases->text, true).whole().end;
        at = {{"line", end.line}, {"character", end.character}};
        if (!cases->text->empty()) text = (cases->text->back() == '\n' ? "\n" : "\n\n") + text;
      }
      document_changes.push_back({{"textDocument", {{"uri", cases->uri}, {"version", nullptr}}},
                                  {"edits", Json::array({{{"range", {{"start", at}, {"end", at}}}, {"newText", text}}})}});
      actions.push_back({{"title", "Add the witness intake as a case in tests/witnesses.cases"},
                         {"kind", "quickfix"},
                         {"diagnostics", Json::array({d})},
                         {"edit", {{"documentChanges", document_changes}}}});
    }
    if (!data.contains("replacement") || !data["replacement"].is_string() || !d.contains("range")) continue;
    std::string replacement = data["replacement"];
    Json edit = {{"changes", {{uri, Json::array({{{"range", d["range"]}, {"newText", replacement}}})}}}};
    actions.push_back({{"title", "Replace with `" + replacement + "`"},
                       {"kind", "quickfix"},
                       {"diagnostics", Json::array({d})},
                       {"isPreferred", true},
                       {"edit", edit}});
  }
  return actions;
}

}  // namespace triage::lsp

#include "lsp/index.hpp"

#include <algorithm>
#include <set>

namespace triage::lsp {

namespace {

// Collects occurrences from one file's declarations. The plan's equipment and area facts give
// meaning to `needs` and `targets` in any file, so they are resolved after every file is read.
class Collector {
 public:
  Collector(std::vector<Occurrence>& out, std::map<std::string, Definition>& definitions)
      : out_(out), definitions_(definitions) {}

  void file(const ParsedFile& parsed) {
    file_ = parsed.source->name();
    text_ = &parsed.source->text();
    for (const auto& declaration : parsed.ast.declarations) std::visit([&](const auto& d) { declare(d, declaration); }, declaration);
  }

  // `needs` and `targets` name values of the plan's facts, known only once every file is read.
  void resolve_plan_values() {
    for (auto& pending : pending_values_) {
      const std::string& fact = pending.needs ? equipment_fact_ : area_fact_;
      if (fact.empty()) continue;
      pending.occurrence.key = symbol_key(SymbolKind::value, pending.occurrence.name, fact);
      out_.push_back(std::move(pending.occurrence));
    }
  }

 private:
  struct PendingValue {
    bool needs = false;
    Occurrence occurrence;
  };

  void add(SymbolKind kind, const ast::Identifier& id, bool definition, const std::string& fact = {}) {
    if (id.name.empty()) return;
    Occurrence o{kind, symbol_key(kind, id.name, fact), id.name, file_, id.offset, id.offset + id.name.size(), definition, owner_};
    if (definition) {
      Definition& d = definitions_[o.key];
      if (!d.where.key.empty()) definition = false;  // a duplicate: the checker says so; the first one wins
      else d = Definition{o, declaration_, fact};
      o.definition = definition;
    }
    out_.push_back(std::move(o));
  }

  // A string literal's contents: `offset` is at its opening quote.
  void add_string(SymbolKind kind, const ast::StringLit& s, bool definition) {
    std::size_t begin = s.offset + 1 <= text_->size() && (*text_)[s.offset] == '"' ? s.offset + 1 : s.offset;
    ast::Identifier id{s.text, begin};
    add(kind, id, definition);
  }

  void expr(const ast::Expr& e) {
    std::visit([&](const auto& node) { expr_node(node); }, e.node);
  }
  void expr_node(const ast::FactRef& n) { add(SymbolKind::fact, n.fact, false); }
  void expr_node(const ast::Compare& n) {
    add(SymbolKind::fact, n.fact, false);
    if (const auto* value = std::get_if<ast::Identifier>(&n.rhs)) add(SymbolKind::value, *value, false, n.fact.name);
  }
  void expr_node(const ast::Member& n) {
    add(SymbolKind::value, n.value, false, n.set_fact.name);
    add(SymbolKind::fact, n.set_fact, false);
  }
  void expr_node(const ast::OneOf& n) {
    add(SymbolKind::fact, n.fact, false);
    for (const auto& v : n.values) add(SymbolKind::value, v, false, n.fact.name);
  }
  void expr_node(const ast::Has& n) {
    add(SymbolKind::fact, n.fact, false);
    for (const auto& v : n.values) add(SymbolKind::value, v, false, n.fact.name);
  }
  void expr_node(const ast::Always&) {}
  void expr_node(const ast::Not& n) {
    for (const auto& e : n.operand) expr(e);
  }
  void expr_node(const ast::And& n) {
    for (const auto& e : n.terms) expr(e);
  }
  void expr_node(const ast::Or& n) {
    for (const auto& e : n.terms) expr(e);
  }

  void target(const ast::Target& t) {
    switch (t.kind) {
      case ast::Target::Kind::technique: add(SymbolKind::technique, t.name, false); break;
      case ast::Target::Kind::tag: add(SymbolKind::tag, t.name, false); break;
      case ast::Target::Kind::phase: add(SymbolKind::phase, t.name, false); break;
    }
  }

  // The names and strings of properties, by what each key's names refer to.
  void properties(const std::vector<ast::Property>& properties, const std::string& fact = {}) {
    for (const auto& p : properties) {
      for (const auto& s : p.strings) {
        if (p.key == "sources") add_string(SymbolKind::source, s, false);
      }
      const auto& names = p.names;
      if (p.key == "tags") {
        for (const auto& n : names) add(SymbolKind::tag, n, false);
      } else if (p.key == "facts" || p.key == "equipment_fact" || p.key == "area_fact") {
        for (const auto& n : names) add(SymbolKind::fact, n, false);
        if (p.key == "equipment_fact" && !names.empty()) equipment_fact_ = names.front().name;
        if (p.key == "area_fact" && !names.empty()) area_fact_ = names.front().name;
      } else if (p.key == "phase" || p.key == "targeted") {
        for (const auto& n : names) add(SymbolKind::phase, n, false);
      } else if (p.key == "phases") {
        for (const auto& n : names) add(SymbolKind::phase, n, true);
      } else if (p.key == "require") {
        for (std::size_t i = 0; i < names.size(); ++i) add(i < 2 ? SymbolKind::phase : SymbolKind::technique, names[i], false);
      } else if (p.key == "controls") {
        for (const auto& n : names) add(SymbolKind::rule, n, false);
      } else if (p.key == "needs" || p.key == "targets") {
        for (const auto& n : names) {
          if (n.name.empty()) continue;
          pending_values_.push_back({p.key == "needs", Occurrence{SymbolKind::value, {}, n.name, file_, n.offset,
                                                                  n.offset + n.name.size(), false, owner_}});
        }
      } else if (p.key == "label" && !fact.empty()) {
        for (const auto& n : names) add(SymbolKind::value, n, false, fact);
      } else if (p.key == "default" && !fact.empty()) {
        if (p.value.kind == ast::Value::Kind::symbol) add(SymbolKind::value, p.value.symbol, false, fact);
        for (const auto& m : p.value.members) add(SymbolKind::value, m, false, fact);
      }
    }
  }

  void begin(const ast::Declaration& declaration, const std::string& owner) {
    declaration_ = &declaration;
    owner_ = owner;
  }

  void declare(const ast::FactDecl& d, const ast::Declaration& declaration) {
    begin(declaration, symbol_key(SymbolKind::fact, d.name.name));
    add(SymbolKind::fact, d.name, true);
    const ast::Declaration* saved = declaration_;
    declaration_ = nullptr;
    for (const auto& v : d.type.values) add(SymbolKind::value, v, true, d.name.name);
    declaration_ = saved;
    properties(d.properties, d.name.name);
  }
  void declare(const ast::DerivedDecl& d, const ast::Declaration& declaration) {
    begin(declaration, symbol_key(SymbolKind::fact, d.name.name));
    add(SymbolKind::fact, d.name, true);
    expr(d.condition);
    properties(d.properties);
  }
  void declare(const ast::TagDecl& d, const ast::Declaration& declaration) {
    begin(declaration, symbol_key(SymbolKind::tag, d.name.name));
    add(SymbolKind::tag, d.name, true);
  }
  void declare(const ast::TechniqueDecl& d, const ast::Declaration& declaration) {
    begin(declaration, symbol_key(SymbolKind::technique, d.name.name));
    add(SymbolKind::technique, d.name, true);
    properties(d.properties);
  }
  void declare(const ast::RuleDecl& d, const ast::Declaration& declaration) {
    begin(declaration, symbol_key(SymbolKind::rule, d.name.name));
    add(SymbolKind::rule, d.name, true);
    expr(d.condition);
    for (const auto& effect : d.effects) {
      if (effect.kind == ast::Effect::Kind::refer) continue;
      if (effect.kind == ast::Effect::Kind::caution && !effect.has_target) continue;
      target(effect.first);
      if (effect.kind == ast::Effect::Kind::order) target(effect.second);
    }
    properties(d.properties);
  }
  void declare(const ast::PlanDecl& d, const ast::Declaration& declaration) {
    begin(declaration, "plan");
    properties(d.properties);
  }
  void declare(const ast::SectionDecl& d, const ast::Declaration& declaration) {
    begin(declaration, symbol_key(SymbolKind::section, d.name.name));
    add(SymbolKind::section, d.name, true);
    properties(d.properties);
  }
  void declare(const ast::NextStepDecl& d, const ast::Declaration& declaration) {
    begin(declaration, "next_step:" + d.tier.name);
    properties(d.properties);
  }
  void declare(const ast::RulesetDecl& d, const ast::Declaration& declaration) {
    begin(declaration, "ruleset");
    properties(d.properties);
  }
  void declare(const ast::SourceDecl& d, const ast::Declaration& declaration) {
    begin(declaration, symbol_key(SymbolKind::source, d.id.text));
    add_string(SymbolKind::source, d.id, true);
    properties(d.properties);
  }
  void declare(const ast::HazardDecl& d, const ast::Declaration& declaration) {
    begin(declaration, symbol_key(SymbolKind::hazard, d.name.name));
    add(SymbolKind::hazard, d.name, true);
    properties(d.properties);
  }

  std::vector<Occurrence>& out_;
  std::map<std::string, Definition>& definitions_;
  std::vector<PendingValue> pending_values_;
  std::string file_, owner_, equipment_fact_, area_fact_;
  const std::string* text_ = nullptr;
  const ast::Declaration* declaration_ = nullptr;
};

bool before(const Occurrence& a, const Occurrence& b) {
  return a.file != b.file ? a.file < b.file : a.begin < b.begin;
}

}  // namespace

const char* to_string(SymbolKind kind) {
  switch (kind) {
    case SymbolKind::fact: return "fact";
    case SymbolKind::value: return "value";
    case SymbolKind::technique: return "technique";
    case SymbolKind::tag: return "tag";
    case SymbolKind::rule: return "rule";
    case SymbolKind::source: return "source";
    case SymbolKind::section: return "section";
    case SymbolKind::hazard: return "hazard";
    case SymbolKind::phase: return "phase";
  }
  return "?";
}

std::string symbol_key(SymbolKind kind, const std::string& name, const std::string& fact) {
  if (kind == SymbolKind::value) return "value:" + fact + "." + name;
  return std::string(to_string(kind)) + ":" + name;
}

SymbolIndex::SymbolIndex(const std::vector<ParsedFile>& files) {
  Collector collector(occurrences_, definitions_);
  for (const auto& file : files) collector.file(file);
  collector.resolve_plan_values();
  std::stable_sort(occurrences_.begin(), occurrences_.end(), before);
  for (const auto& [key, definition] : definitions_) {
    if (definition.where.kind == SymbolKind::value) values_[definition.fact];
  }
  // Values in declaration order (the map above is sorted by name).
  for (const auto& o : occurrences_) {
    if (o.kind != SymbolKind::value || !o.definition) continue;
    const std::string& fact = definitions_.at(o.key).fact;
    values_[fact].push_back(o.name);
  }
  for (auto& [fact, values] : values_) {
    // Definition order is per file; one fact's values are all in its declaration, so sort by place.
    std::vector<std::pair<std::size_t, std::string>> placed;
    for (const auto& v : values) placed.emplace_back(definitions_.at(symbol_key(SymbolKind::value, v, fact)).where.begin, v);
    std::sort(placed.begin(), placed.end());
    values.clear();
    for (auto& [at, v] : placed) values.push_back(std::move(v));
  }
}

const Occurrence* SymbolIndex::at(const std::string& file, std::size_t offset) const {
  const Occurrence* best = nullptr;
  for (const auto& o : occurrences_) {
    if (o.file != file) continue;
    if (o.begin <= offset && offset <= o.end) {
      // Inside a name beats touching the end of the one before it.
      if (!best || offset < o.end) best = &o;
    }
  }
  return best;
}

const Definition* SymbolIndex::definition(const std::string& key) const {
  auto it = definitions_.find(key);
  return it == definitions_.end() ? nullptr : &it->second;
}

std::vector<const Occurrence*> SymbolIndex::occurrences(const std::string& key) const {
  std::vector<const Occurrence*> found;
  for (const auto& o : occurrences_) {
    if (o.key == key) found.push_back(&o);
  }
  return found;
}

std::vector<std::string> SymbolIndex::names(SymbolKind kind) const {
  std::set<std::string> names;
  for (const auto& [key, d] : definitions_) {
    if (d.where.kind == kind) names.insert(d.where.name);
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> SymbolIndex::values_of(const std::string& fact) const {
  auto it = values_.find(fact);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<const Definition*> SymbolIndex::definitions_in(const std::string& file) const {
  std::vector<const Definition*> found;
  for (const auto& [key, d] : definitions_) {
    if (d.where.file == file && d.where.kind != SymbolKind::value && d.where.kind != SymbolKind::phase) found.push_back(&d);
  }
  std::sort(found.begin(), found.end(), [](const Definition* a, const Definition* b) { return a->where.begin < b->where.begin; });
  return found;
}

}  // namespace triage::lsp

#include "check/conditions.hpp"

#include <algorithm>

#include "util/suggest.hpp"

namespace triage::check {
namespace {

using model::Cond;
using model::FactType;

// The type with its article: "a bool", "an int".
const char* type_name(FactType type) {
  switch (type) {
    case FactType::boolean: return "a bool";
    case FactType::integer: return "an int";
    case FactType::enumeration: return "an enum";
    case FactType::set: return "a set";
  }
  return "?";
}

class Resolver {
 public:
  Resolver(Context& context, const SourceFile* file) : context_(context), file_(file) {}

  Cond operator()(const ast::Expr& expr) { return std::visit(*this, expr.node); }

  Cond operator()(const ast::Always&) { return Cond{}; }

  Cond operator()(const ast::FactRef& ref) {
    const model::Fact* fact = lookup(ref.fact);
    if (fact == nullptr) return Cond{};
    int index = context_.fact_index.at(fact->id);
    if (fact->derived) return Cond{Cond::Kind::derived, index};
    if (fact->type != FactType::boolean) {
      std::string example = fact->type == FactType::integer       ? fact->id + " >= NUMBER"
                            : fact->type == FactType::enumeration ? fact->id + " = " + fact->values.front()
                                                                  : fact->values.front() + " in " + fact->id;
      context_.error(code::type_mismatch, {file_, ref.fact.offset},
                     "`" + fact->id + "` is " + type_name(fact->type) + " fact, not a yes/no question",
                     "test its value, for example `" + example + "`");
      return Cond{};
    }
    return Cond{Cond::Kind::fact_true, index};
  }

  Cond operator()(const ast::Compare& compare) {
    const model::Fact* fact = lookup(compare.fact);
    if (fact == nullptr) return Cond{};
    int index = context_.fact_index.at(fact->id);
    if (fact->type == FactType::integer) {
      const auto* number = std::get_if<std::int64_t>(&compare.rhs);
      if (number == nullptr) {
        const auto& name = std::get<ast::Identifier>(compare.rhs);
        context_.error(code::type_mismatch, {file_, name.offset},
                       "`" + fact->id + "` is an int fact; compare it with a number, not `" + name.name + "`");
        return Cond{};
      }
      if (*number < fact->low || *number > fact->high) {
        context_.error(code::out_of_range, {file_, compare.rhs_offset},
                       "the number " + std::to_string(*number) + " is outside the range of `" + fact->id + "` (" +
                           std::to_string(fact->low) + ".." + std::to_string(fact->high) + ")");
      }
      Cond cond{Cond::Kind::compare, index};
      cond.op = static_cast<model::CompareOp>(compare.op);
      cond.number = *number;
      return cond;
    }
    if (fact->type == FactType::enumeration) {
      if (compare.op != ast::CompareOp::eq && compare.op != ast::CompareOp::ne) {
        context_.error(code::type_mismatch, {file_, compare.fact.offset},
                       "`" + fact->id + "` is an enum fact; it can only be tested with `=` or `!=`",
                       "to allow several values write `" + fact->id + " in {" + fact->values.front() + ", …}`");
        return Cond{};
      }
      const auto* name = std::get_if<ast::Identifier>(&compare.rhs);
      if (name == nullptr) {
        context_.error(code::type_mismatch, {file_, compare.fact.offset},
                       "`" + fact->id + "` is an enum fact; compare it with one of its values", values_hint(*fact));
        return Cond{};
      }
      Cond cond{Cond::Kind::mask_any, index};
      cond.number = value_mask(*fact, {*name});
      if (compare.op == ast::CompareOp::ne) return negate(std::move(cond));
      return cond;
    }
    context_.error(code::type_mismatch, {file_, compare.fact.offset},
                   "`" + fact->id + "` is " + type_name(fact->type) + " fact and cannot be compared",
                   fact->type == FactType::boolean ? "write `" + fact->id + "` or `not " + fact->id + "`"
                                                   : "use `has any {…}` or `VALUE in " + fact->id + "`");
    return Cond{};
  }

  Cond operator()(const ast::Member& member) {
    const model::Fact* fact = lookup(member.set_fact);
    if (fact == nullptr) return Cond{};
    if (fact->type != FactType::set) {
      context_.error(code::type_mismatch, {file_, member.set_fact.offset},
                     "`" + fact->id + "` is " + type_name(fact->type) + " fact, not a set; `in` needs a set fact",
                     fact->type == FactType::enumeration ? "write `" + fact->id + " = " + member.value.name + "`"
                                                         : std::string{});
      return Cond{};
    }
    Cond cond{Cond::Kind::mask_any, context_.fact_index.at(fact->id)};
    cond.number = value_mask(*fact, {member.value});
    return cond;
  }

  Cond operator()(const ast::OneOf& one_of) {
    const model::Fact* fact = lookup(one_of.fact);
    if (fact == nullptr) return Cond{};
    if (fact->type != FactType::enumeration) {
      context_.error(code::type_mismatch, {file_, one_of.fact.offset},
                     "`" + fact->id + "` is " + type_name(fact->type) + " fact; `in {…}` needs an enum fact",
                     fact->type == FactType::set ? "write `" + fact->id + " has any {…}`" : std::string{});
      return Cond{};
    }
    Cond cond{Cond::Kind::mask_any, context_.fact_index.at(fact->id)};
    cond.number = value_mask(*fact, one_of.values);
    return cond;
  }

  Cond operator()(const ast::Has& has) {
    const model::Fact* fact = lookup(has.fact);
    if (fact == nullptr) return Cond{};
    if (fact->type != FactType::set) {
      context_.error(code::type_mismatch, {file_, has.fact.offset},
                     "`" + fact->id + "` is " + type_name(fact->type) + " fact; `has` needs a set fact",
                     fact->type == FactType::enumeration
                         ? "write `" + fact->id + " = " + fact->values.front() + "` or `" + fact->id + " in {…}`"
                         : std::string{});
      return Cond{};
    }
    Cond::Kind kind = has.quantifier == ast::Quantifier::any   ? Cond::Kind::mask_any
                      : has.quantifier == ast::Quantifier::all ? Cond::Kind::mask_all
                                                               : Cond::Kind::mask_none;
    Cond cond{kind, context_.fact_index.at(fact->id)};
    cond.number = value_mask(*fact, has.values);
    return cond;
  }

  Cond operator()(const ast::Not& negation) { return negate((*this)(negation.operand.front())); }
  Cond operator()(const ast::And& conjunction) { return combine(Cond::Kind::and_, conjunction.terms); }
  Cond operator()(const ast::Or& disjunction) { return combine(Cond::Kind::or_, disjunction.terms); }

 private:
  static Cond negate(Cond inner) {
    Cond cond{Cond::Kind::not_};
    cond.children.push_back(std::move(inner));
    return cond;
  }

  Cond combine(Cond::Kind kind, const std::vector<ast::Expr>& terms) {
    Cond cond{kind};
    for (const auto& term : terms) cond.children.push_back((*this)(term));
    return cond;
  }

  const model::Fact* lookup(const ast::Identifier& name) {
    auto it = context_.fact_index.find(name.name);
    if (it != context_.fact_index.end()) return &context_.ruleset.facts[it->second];
    std::string hint = did_you_mean(name.name, context_.fact_ids());
    for (const auto& fact : context_.ruleset.facts) {
      if (fact.type != FactType::set && fact.type != FactType::enumeration) continue;
      for (const auto& value : fact.values) {
        if (value == name.name && hint.empty()) {
          hint = "`" + value + "` is a value of `" + fact.id + "`: write `" +
                 (fact.type == FactType::set ? value + " in " + fact.id : fact.id + " = " + value) + "`";
        }
      }
    }
    context_.error(code::unknown_fact, {file_, name.offset}, "unknown fact `" + name.name + "`", hint);
    return nullptr;
  }

  std::string values_hint(const model::Fact& fact) const {
    std::string list;
    for (const auto& value : fact.values) list += (list.empty() ? "" : ", ") + value;
    return "the values of `" + fact.id + "` are " + list;
  }

  std::int64_t value_mask(const model::Fact& fact, const std::vector<ast::Identifier>& names) {
    std::uint64_t mask = 0;
    for (const auto& name : names) {
      bool found = false;
      for (std::size_t i = 0; i < fact.values.size(); ++i) {
        if (fact.values[i] == name.name) {
          if (i < model::max_values) mask |= std::uint64_t{1} << i;  // beyond: "at most 64" is reported
          found = true;
        }
      }
      if (!found) {
        std::string hint = did_you_mean(name.name, fact.values);
        context_.error(code::unknown_value, {file_, name.offset}, "`" + name.name + "` is not a value of `" + fact.id + "`",
                       hint.empty() ? values_hint(fact) : hint);
      }
    }
    return static_cast<std::int64_t>(mask);
  }

  Context& context_;
  const SourceFile* file_;
};

// Depth-first search over derived-fact references; `on_path` marks the facts being expanded.
void find_cycles(Context& context, int index, std::vector<int>& state, std::vector<int>& path);

void find_cycles_in(Context& context, const Cond& cond, std::vector<int>& state, std::vector<int>& path) {
  if (cond.kind == Cond::Kind::derived) find_cycles(context, cond.fact, state, path);
  for (const auto& child : cond.children) find_cycles_in(context, child, state, path);
}

// state: 0 unvisited, 1 on the current path, 2 done.
void find_cycles(Context& context, int index, std::vector<int>& state, std::vector<int>& path) {
  auto& facts = context.ruleset.facts;
  if (state[index] == 2) return;
  if (state[index] == 1) {
    std::string cycle;
    for (auto it = std::find(path.begin(), path.end(), index); it != path.end(); ++it) {
      cycle += facts[*it].id + " -> ";
    }
    context.error_at(code::derived_cycle, facts[index].location,
                     "derived fact `" + facts[index].id + "` is defined in terms of itself: " + cycle + facts[index].id);
    facts[index].definition = Cond{};  // break the cycle so later stages terminate
    return;
  }
  state[index] = 1;
  path.push_back(index);
  Cond definition = facts[index].definition;
  find_cycles_in(context, definition, state, path);
  path.pop_back();
  state[index] = 2;
}

}  // namespace

model::Cond resolve_condition(const ast::Expr& expr, Context& context, const SourceFile* file) {
  return Resolver(context, file)(expr);
}

namespace {

std::size_t expanded_size(const model::Ruleset& ruleset, const model::Cond& cond, std::vector<std::size_t>& memo) {
  constexpr std::size_t saturated = std::size_t{1} << 40;
  if (cond.kind == model::Cond::Kind::derived) {
    // Each derived fact is sized once, so a chain that doubles is measured in linear time.
    std::size_t& known = memo[static_cast<std::size_t>(cond.fact)];
    if (known == 0) known = expanded_size(ruleset, ruleset.facts[cond.fact].definition, memo);
    return known;
  }
  std::size_t size = 1;
  for (const auto& child : cond.children) size = std::min(saturated, size + expanded_size(ruleset, child, memo));
  return size;
}

}  // namespace

std::size_t expanded_size(const model::Ruleset& ruleset, const model::Cond& cond) {
  std::vector<std::size_t> memo(ruleset.facts.size(), 0);
  return expanded_size(ruleset, cond, memo);
}

void check_derived_cycles(Context& context) {
  std::vector<int> state(context.ruleset.facts.size(), 0);
  std::vector<int> path;
  for (std::size_t i = 0; i < context.ruleset.facts.size(); ++i) {
    if (context.ruleset.facts[i].derived) find_cycles(context, static_cast<int>(i), state, path);
  }
}

}  // namespace triage::check

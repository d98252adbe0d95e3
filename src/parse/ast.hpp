#pragma once
// The syntax tree of one rule file, exactly as written. Plain structs without Boost, so the checker
// and later stages never see Spirit. Every node that can be blamed keeps the byte offset where it
// starts; SourceFile::locate turns it into a line and column.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace triage::ast {

struct Identifier {
  std::string name;
  std::size_t offset = 0;
};

// A string literal; adjacent literals are already joined with a space.
struct StringLit {
  std::string text;
  std::size_t offset = 0;
};

enum class CompareOp { eq, ne, lt, le, gt, ge };
enum class Quantifier { any, all, none };

struct Expr;

// A bool fact or derived fact used as a condition: `night_pain`.
struct FactRef { Identifier fact; };
// `pain_intensity >= 8`, `onset = sudden`: the right side is a number or an enum value.
struct Compare {
  Identifier fact;
  CompareOp op = CompareOp::eq;
  std::variant<std::int64_t, Identifier> rhs;
  std::size_t rhs_offset = 0;
};
// `leg_below_knee in pain_areas`: a value of a set fact.
struct Member { Identifier value; Identifier set_fact; };
// `improving in {same, worse}`: an enum fact is one of the values.
struct OneOf { Identifier fact; std::vector<Identifier> values; };
// `pain_areas has any {buttock, leg_above_knee}`.
struct Has { Identifier fact; Quantifier quantifier = Quantifier::any; std::vector<Identifier> values; };
// `always`.
struct Always {};
struct Not { std::vector<Expr> operand; };  // exactly one element
struct And { std::vector<Expr> terms; };    // two or more
struct Or { std::vector<Expr> terms; };     // two or more

struct Expr {
  std::size_t offset = 0;
  std::variant<FactRef, Compare, Member, OneOf, Has, Always, Not, And, Or> node;
};

// A written value: `true`, `12`, `sudden`, `{foam_roller, partner}`.
struct Value {
  enum class Kind { boolean, integer, symbol, set } kind = Kind::boolean;
  bool boolean = false;
  std::int64_t integer = 0;
  Identifier symbol;
  std::vector<Identifier> members;
  std::size_t offset = 0;
};

// `key value` inside a declaration. Which keys a declaration accepts is the checker's business,
// so a misplaced property gets a precise message instead of a syntax error.
struct Property {
  std::string key;
  std::size_t offset = 0;
  std::vector<StringLit> strings;   // text properties (one element) and `sources` (a list)
  std::vector<Identifier> names;    // name and name-list properties; `require A whenever B except X, Y`
                                    // holds A, B, X, Y; `label VALUE "text"` holds VALUE
  std::int64_t number = 0;          // number properties (`max_per_phase`, `min_choices`, ...)
  Value value;                      // `default`
};

enum class FactKind { boolean, integer, enumeration, set };

struct FactType {
  FactKind kind = FactKind::boolean;
  std::int64_t low = 0;
  std::int64_t high = 0;
  std::vector<Identifier> values;
  std::size_t offset = 0;
};

struct FactDecl {
  Identifier name;
  FactType type;
  std::vector<Property> properties;
  std::size_t offset = 0;
};

struct DerivedDecl {
  Identifier name;
  Expr condition;
  std::vector<Property> properties;
  std::size_t offset = 0;
};

struct TagDecl {
  Identifier name;
  StringLit description;
  std::size_t offset = 0;
};

struct TechniqueDecl {
  Identifier name;
  std::vector<Property> properties;
  std::size_t offset = 0;
};

// What an effect applies to: a technique, `tag NAME` or `phase NAME`.
struct Target {
  enum class Kind { technique, tag, phase } kind = Kind::technique;
  Identifier name;
};

struct Effect {
  enum class Kind { refer, avoid, include, order, caution } kind = Kind::refer;
  std::size_t offset = 0;
  Identifier tier;      // refer
  Target first;         // avoid, include, order, caution on
  Target second;        // order ... before second
  bool has_target = false;  // caution on TARGET
};

// `red_flag ID: COND -> refer TIER` or `rule ID: COND -> EFFECT, ...`.
struct RuleDecl {
  bool red_flag = false;
  Identifier name;
  Expr condition;
  std::vector<Effect> effects;
  std::vector<Property> properties;
  std::size_t offset = 0;
};

struct PlanDecl {
  std::vector<Property> properties;
  std::size_t offset = 0;
};

// `section ID` with its title and the facts it shows, in order.
struct SectionDecl {
  Identifier name;
  std::vector<Property> properties;
  std::size_t offset = 0;
};

// `next_step TIER` with what a patient referred at that tier must do.
struct NextStepDecl {
  Identifier tier;
  std::vector<Property> properties;
  std::size_t offset = 0;
};

// `ruleset` header: title, version, status, approval, review and effective dates.
struct RulesetDecl {
  std::vector<Property> properties;
  std::size_t offset = 0;
};

// `source "ID"`: a cited source with its full title and a URL or document reference.
struct SourceDecl {
  StringLit id;
  std::vector<Property> properties;
  std::size_t offset = 0;
};

// `hazard ID`: one entry of the hazard log.
struct HazardDecl {
  Identifier name;
  std::vector<Property> properties;
  std::size_t offset = 0;
};

using Declaration = std::variant<FactDecl, DerivedDecl, TagDecl, TechniqueDecl, RuleDecl, PlanDecl, SectionDecl,
                                 NextStepDecl, RulesetDecl, SourceDecl, HazardDecl>;

struct RuleFile {
  std::string name;
  std::vector<Declaration> declarations;
};

}  // namespace triage::ast
